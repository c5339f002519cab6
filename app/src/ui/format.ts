import type { Language } from '../../../adapters/tabular/language.js';

/**
 * Numbers and dates as the reader's language writes them (84,7 % in French and German, 84.7 % in
 * English), by the browser's Intl. Only what is shown: the JSON answer keeps plain numbers.
 */
export interface Format {
  readonly language: Language;
  number(value: number, fractionDigits?: number): string;
  /** A share 0..1 as a percentage with one decimal: "84.7 %". */
  percent(share: number): string;
  /** A signed number ("+0.123", "−0.456"). */
  signed(value: number, fractionDigits: number): string;
  date(date: Date): string;
  dateTime(date: Date): string;
  /** A DICOM DA value (YYYYMMDD) as a date; the raw value when it is not one. */
  dicomDate(value: string | undefined): string | undefined;
  bytes(size: number): string;
}

export function formatFor(language: Language): Format {
  const fixed = (digits: number) => new Intl.NumberFormat(language, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const plain = new Intl.NumberFormat(language, { maximumFractionDigits: 6 });
  const dates = new Intl.DateTimeFormat(language, { dateStyle: 'long' });
  const dateTimes = new Intl.DateTimeFormat(language, { dateStyle: 'long', timeStyle: 'short' });
  return {
    language,
    number: (value, digits) => (digits === undefined ? plain.format(value) : fixed(digits).format(value)),
    percent: (share) => `${fixed(1).format(share * 100)} %`,
    signed: (value, digits) => `${value >= 0 ? '+' : '−'}${fixed(digits).format(Math.abs(value))}`,
    date: (date) => dates.format(date),
    dateTime: (date) => dateTimes.format(date),
    dicomDate(value) {
      const match = /^(\d{4})(\d{2})(\d{2})$/.exec(value?.trim() ?? '');
      if (!match) return value?.trim() || undefined;
      return dates.format(new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 12)));
    },
    bytes: (size) => (size < 1024 ? `${plain.format(size)} B` : size < 1024 * 1024 ? `${fixed(1).format(size / 1024)} KiB` : `${fixed(1).format(size / 1024 / 1024)} MiB`),
  };
}
