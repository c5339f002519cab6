import type { DicomInstanceInfo } from '../dicom-info.js';
import type { DataSet } from './data-set.js';
import { invalidDicom } from './errors.js';
import { frameAttributeSource } from './functional-groups.js';
import type { Part10File } from './part10.js';
import { describeTag, Tag } from './tags.js';
import {
  readDecimal, readDecimalTuple, readIntegerString, readIntegerStringLenient, readString, readText, readUid, readUint16,
} from './values.js';
import { characterSetOf } from './charset.js';

type ImageInfo = NonNullable<DicomInstanceInfo['image']>;

/**
 * The instance description of a parsed file. Identifying UIDs fall back to the file meta group and are
 * '' when the file has none (test objects often lack them; a result writer must check before filing).
 * Descriptive numbers (series and instance number) are undefined when malformed; everything that
 * decoding or geometry depends on is strict and refused with the element named.
 */
export function instanceInfo(file: Part10File): DicomInstanceInfo {
  const { dataSet, meta } = file;
  // Text VRs (LO, SH, PN) by Specific Character Set; code strings, dates and times are ASCII by definition.
  const charset = characterSetOf(readString(dataSet, Tag.SpecificCharacterSet));
  const text = (tag: number) => readText(dataSet, tag, charset);
  const name = (tag: number) => readText(dataSet, tag, charset, true);
  const code = (tag: number) => readString(dataSet, tag);
  return {
    transferSyntaxUID: file.transferSyntaxUID,
    sopClassUID: readUid(dataSet, Tag.SOPClassUID) ?? readUid(meta, Tag.MediaStorageSOPClassUID) ?? '',
    sopInstanceUID: readUid(dataSet, Tag.SOPInstanceUID) ?? readUid(meta, 0x00020003) ?? '',
    studyInstanceUID: readUid(dataSet, Tag.StudyInstanceUID) ?? '',
    seriesInstanceUID: readUid(dataSet, Tag.SeriesInstanceUID) ?? '',
    modality: code(Tag.Modality),
    bodyPartExamined: code(Tag.BodyPartExamined),
    viewPosition: code(Tag.ViewPosition),
    seriesDescription: text(Tag.SeriesDescription),
    seriesNumber: readIntegerStringLenient(dataSet, Tag.SeriesNumber),
    instanceNumber: readIntegerStringLenient(dataSet, Tag.InstanceNumber),
    patient: { name: name(Tag.PatientName), id: text(Tag.PatientID), birthDate: code(Tag.PatientBirthDate), sex: code(Tag.PatientSex), age: code(Tag.PatientAge) },
    study: {
      date: code(Tag.StudyDate),
      time: code(Tag.StudyTime),
      accessionNumber: text(Tag.AccessionNumber),
      id: text(Tag.StudyID),
      referringPhysicianName: name(Tag.ReferringPhysicianName),
    },
    image: dataSet.elements.has(Tag.PixelData) ? imageInfo(dataSet) : undefined,
  };
}

function required(dataSet: DataSet, tag: number): number {
  const value = readUint16(dataSet, tag);
  if (value === undefined) throw invalidDicom(`PixelData is present but ${describeTag(tag)} is missing`);
  return value;
}

function imageInfo(dataSet: DataSet): ImageInfo {
  const rows = required(dataSet, Tag.Rows);
  const columns = required(dataSet, Tag.Columns);
  const samplesPerPixel = required(dataSet, Tag.SamplesPerPixel);
  const bitsAllocated = required(dataSet, Tag.BitsAllocated);
  const bitsStored = required(dataSet, Tag.BitsStored);
  const pixelRepresentation = required(dataSet, Tag.PixelRepresentation);
  const photometricInterpretation = readString(dataSet, Tag.PhotometricInterpretation);
  if (photometricInterpretation === undefined) throw invalidDicom(`PixelData is present but ${describeTag(Tag.PhotometricInterpretation)} is missing`);
  const numberOfFrames = readIntegerString(dataSet, Tag.NumberOfFrames) ?? 1;
  if (numberOfFrames < 1) throw invalidDicom(`${describeTag(Tag.NumberOfFrames)} is ${numberOfFrames}, expected 1 or more`);
  const measures = (tag: number) => frameAttributeSource(dataSet, Tag.PixelMeasuresSequence, tag, 0);
  const position = frameAttributeSource(dataSet, Tag.PlanePositionSequence, Tag.ImagePositionPatient, 0);
  const orientation = frameAttributeSource(dataSet, Tag.PlaneOrientationSequence, Tag.ImageOrientationPatient, 0);
  return {
    rows,
    columns,
    numberOfFrames,
    samplesPerPixel,
    photometricInterpretation: photometricInterpretation.trim(),
    bitsAllocated,
    bitsStored,
    pixelRepresentation,
    frameOfReferenceUID: readUid(dataSet, Tag.FrameOfReferenceUID),
    pixelSpacing: readDecimalTuple(measures(Tag.PixelSpacing), Tag.PixelSpacing, 2) as [number, number] | undefined,
    sliceThickness: readDecimal(measures(Tag.SliceThickness), Tag.SliceThickness),
    imagePositionPatient: readDecimalTuple(position, Tag.ImagePositionPatient, 3) as [number, number, number] | undefined,
    imageOrientationPatient: readDecimalTuple(orientation, Tag.ImageOrientationPatient, 6) as [number, number, number, number, number, number] | undefined,
  };
}
