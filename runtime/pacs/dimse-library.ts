import dcmjsDimse from 'dcmjs-dimse';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../adapters/imaging/dicom/part10-framing.js';

/**
 * The one place dcmjs-dimse is imported, and where its process-wide settings are made. Its bundle calls
 * loglevel's `enableAll()` at load, so by default it prints every association, command and (with
 * logDatasets) data set to the console. We silence it: the PACS modules log their own events, identifiers only.
 */
dcmjsDimse.log.setLevel('silent');
// Peers see clinfer, not the library, in A-ASSOCIATE-RQ/AC (PS3.7 D.3.3.2), as in our Part 10 file meta.
dcmjsDimse.Implementation.setImplementationClassUid(IMPLEMENTATION_CLASS_UID);
dcmjsDimse.Implementation.setImplementationVersion(IMPLEMENTATION_VERSION_NAME);

export const dimse = dcmjsDimse;

export type DimseAssociation = InstanceType<typeof dcmjsDimse.association.Association>;
export type DimsePresentationContext = InstanceType<typeof dcmjsDimse.association.PresentationContext>;
export type DimseCStoreRequest = InstanceType<typeof dcmjsDimse.requests.CStoreRequest>;
export type DimseCEchoRequest = InstanceType<typeof dcmjsDimse.requests.CEchoRequest>;
export type DimseCStoreResponse = InstanceType<typeof dcmjsDimse.responses.CStoreResponse>;
export type DimseCEchoResponse = InstanceType<typeof dcmjsDimse.responses.CEchoResponse>;

/** C-STORE status values we send or read (PS3.4 Annex B.2.3, PS3.7 Annex C). */
export const StoreStatus = {
  Success: 0x0000,
  /** Refused: Out of Resources. */
  OutOfResources: 0xa700,
  ProcessingFailure: 0x0110,
  /** Refused: SOP Class not supported (also for a C-STORE sent on a context that does not carry it). */
  SopClassNotSupported: 0x0122,
} as const;

/** Warning statuses (0001, Bxxx) still mean the instance was stored (PS3.7 C.4). */
export function isStoreSuccess(status: number): boolean {
  return status === 0x0000 || status === 0x0001 || (status & 0xf000) === 0xb000;
}
