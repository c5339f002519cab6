declare module '@lhncbc/ucum-lhc' {
  export type ConvertResult =
    | { status: 'succeeded'; toVal: number; msg: string[]; fromUnit: unknown; toUnit: unknown; suggestions?: unknown }
    | { status: 'failed' | 'error'; toVal: null; msg: string[]; suggestions?: unknown };
  export interface ValidateResult { status: 'valid' | 'invalid' | 'error'; ucumCode: string | null; msg: string[];
    unit?: { code: string; name: string; guidance: string | null }; suggestions?: unknown }
  export class UcumLhcUtils {
    static getInstance(): UcumLhcUtils;
    convertUnitTo(from: string, value: number | string, to: string, options?: { suggest?: boolean; molecularWeight?: number; charge?: number }): ConvertResult;
    validateUnitString(unit: string, suggest?: boolean, valConv?: 'validate' | 'convert'): ValidateResult;
  }
  const ucum: { UcumLhcUtils: typeof UcumLhcUtils };
  export default ucum;
}
