import type { DataSet, DicomElement } from './data-set.js';
import { invalidDicom } from './errors.js';
import { decodeText, type CharacterSet } from './charset.js';
import { describeTag } from './tags.js';

/**
 * Reading element values by tag. Strict readers throw INVALID_DICOM naming the element, the value found
 * (cut short, printable characters only) and what was expected; lenient ones return undefined instead,
 * for descriptive fields that must not stop a decode.
 */

const latin1 = new TextDecoder('latin1');

/** The bytes of a value as Latin-1: for the ASCII-only VRs (CS, DA, TM, UI, IS, DS, AS), whose bytes are characters. */
function rawText(dataSet: DataSet, element: DicomElement): string {
  return latin1.decode(dataSet.bytes.subarray(element.offset, element.offset + element.length));
}

/** A value shown in an error message: printable ASCII only, at most 24 characters. */
export function shown(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 24 ? `${printable.slice(0, 21)}...` : printable;
}

/** The string value with trailing NUL/space padding (and leading spaces) removed; undefined when absent or empty. */
export function readString(dataSet: DataSet, tag: number): string | undefined {
  const element = dataSet.elements.get(tag);
  if (!element || element.length === 0 || element.items) return undefined;
  return trimmed(rawText(dataSet, element));
}

function trimmed(text: string): string | undefined {
  const value = text.replace(/[\0 ]+$/, '').replace(/^ +/, '');
  return value.length ? value : undefined;
}

/**
 * A text value (PN, LO, SH, ST, LT, UT, UC) decoded by the data set's Specific Character Set; PN resets
 * ISO 2022 designations at its '^' and '=' delimiters. Throws (INVALID_DICOM, UNSUPPORTED_CHARACTER_SET)
 * naming the element rather than return garbled text.
 */
export function readText(dataSet: DataSet, tag: number, charset: CharacterSet, personName = false): string | undefined {
  const element = dataSet.elements.get(tag);
  if (!element || element.length === 0 || element.items) return undefined;
  const bytes = dataSet.bytes.subarray(element.offset, element.offset + element.length);
  return trimmed(decodeText(bytes, charset, describeTag(tag), personName));
}

/** A UID: digits and dots, at most 64 characters (PS3.5 9.1). Malformed UIDs are an error. */
export function readUid(dataSet: DataSet, tag: number): string | undefined {
  const value = readString(dataSet, tag);
  if (value === undefined) return undefined;
  // The value is not quoted: instance UIDs can embed dates and local identifiers.
  if (!/^[0-9.]{1,64}$/.test(value)) throw invalidDicom(`${describeTag(tag)} is not a UID (digits and dots, at most 64 characters)`);
  return value;
}

/** The backslash-separated values of a string element, each trimmed. */
function readStrings(dataSet: DataSet, tag: number): string[] | undefined {
  const value = readString(dataSet, tag);
  return value === undefined ? undefined : value.split('\\').map((part) => part.trim());
}

const INTEGER_STRING = /^[+-]?\d{1,12}$/;
const DECIMAL_STRING = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** An IS value (first of several). Throws when it is not an integer string. */
export function readIntegerString(dataSet: DataSet, tag: number): number | undefined {
  const first = readStrings(dataSet, tag)?.[0];
  if (first === undefined || first === '') return undefined;
  if (!INTEGER_STRING.test(first)) throw invalidDicom(`${describeTag(tag)} is '${shown(first)}', expected an integer string (IS)`);
  return Number.parseInt(first, 10);
}

/** An IS value, or undefined when absent or malformed (for descriptive numbers such as InstanceNumber). */
export function readIntegerStringLenient(dataSet: DataSet, tag: number): number | undefined {
  try {
    return readIntegerString(dataSet, tag);
  } catch {
    return undefined;
  }
}

/** All DS values; throws naming the element when one is not a decimal string. */
export function readDecimalStrings(dataSet: DataSet, tag: number): number[] | undefined {
  const parts = readStrings(dataSet, tag);
  if (parts === undefined) return undefined;
  return parts.map((part, index) => {
    if (!DECIMAL_STRING.test(part)) {
      const which = parts.length > 1 ? ` value ${index + 1}` : '';
      throw invalidDicom(`${describeTag(tag)}${which} is '${shown(part)}', expected a decimal string (DS)`);
    }
    return Number.parseFloat(part);
  });
}

/** Exactly `count` DS values, or undefined when absent; any other count is an error. */
export function readDecimalTuple<N extends number>(dataSet: DataSet, tag: number, count: N): number[] | undefined {
  const values = readDecimalStrings(dataSet, tag);
  if (values === undefined) return undefined;
  if (values.length !== count) throw invalidDicom(`${describeTag(tag)} holds ${values.length} values, expected ${count}`);
  return values;
}

/** One DS value (the first). */
export function readDecimal(dataSet: DataSet, tag: number): number | undefined {
  return readDecimalStrings(dataSet, tag)?.[0];
}

/** US values (binary, in the data set's byte order). */
export function readUint16s(dataSet: DataSet, tag: number): number[] | undefined {
  const element = dataSet.elements.get(tag);
  if (!element || element.length === 0 || element.items) return undefined;
  if (element.length % 2 !== 0) throw invalidDicom(`${describeTag(tag)} is ${element.length} bytes long, expected a multiple of 2 (US)`);
  const view = new DataView(dataSet.bytes.buffer, dataSet.bytes.byteOffset + element.offset, element.length);
  return Array.from({ length: element.length / 2 }, (_, index) => view.getUint16(index * 2, dataSet.littleEndian));
}

/** One US value (the first). */
export function readUint16(dataSet: DataSet, tag: number): number | undefined {
  return readUint16s(dataSet, tag)?.[0];
}

/** The items of a sequence element; empty when absent. */
export function readItems(dataSet: DataSet, tag: number): readonly DataSet[] {
  return dataSet.elements.get(tag)?.items ?? [];
}
