export { startDimseScp, type DimseScp, type DimseScpOptions, type ReceivedAssociation } from './dimse-scp.js';
export { sendCStore, type CStoreScuOptions } from './cstore-scu.js';
export { sendStowRs, type StowRsOptions } from './stow-client.js';
export { parseStowResponse, stowOutcomes, type StowResponse } from './stow-response.js';
export { multipartRelated, type MultipartBody } from './stow-multipart.js';
export { createDestination } from './create-destination.js';
export {
  allStored,
  type Destination,
  type DestinationConfig,
  type StowRsDestinationConfig,
  type CStoreDestinationConfig,
  type InstanceOutcome,
  type SendReport,
} from './destination.js';
export {
  openDeliveryQueue,
  type DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryEvent,
  type DeliveryCounts,
  type EnqueueMeta,
} from './delivery-queue.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { readPart10, writePart10, part10Dataset, type Part10Meta, type Part10View } from './part10.js';
export { decideContext, ContextResult, type NegotiationPolicy, type ContextDecision } from './scp-negotiation.js';
export {
  TransferSyntaxUid,
  DEFAULT_TRANSFER_SYNTAXES,
  COMMON_STORAGE_SOP_CLASSES,
  VERIFICATION_SOP_CLASS,
  isStorageSopClass,
} from './uids.js';
export { PacsError, isPacsError, type PacsErrorCode } from './pacs-error.js';
