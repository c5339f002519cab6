import { VERIFICATION_SOP_CLASS, VERIFICATION_TRANSFER_SYNTAXES, isStorageSopClass } from './uids.js';

/** What the SCP accepts: which storage SOP classes and which transfer syntaxes (kept as sent, never transcoded). */
export interface NegotiationPolicy {
  /** 'all-storage': any SOP class of the Storage Service Class; or a closed list of SOP class UIDs. */
  readonly sopClasses: 'all-storage' | readonly string[];
  readonly transferSyntaxes: readonly string[];
}

/** PS3.8 9.3.3.2 presentation context results. */
export const ContextResult = {
  Accept: 0,
  RejectAbstractSyntaxNotSupported: 3,
  RejectTransferSyntaxesNotSupported: 4,
} as const;

export type ContextDecision =
  | { readonly result: typeof ContextResult.Accept; readonly transferSyntaxUid: string }
  | { readonly result: typeof ContextResult.RejectAbstractSyntaxNotSupported | typeof ContextResult.RejectTransferSyntaxesNotSupported };

/**
 * Decides one proposed presentation context. The SCU's order is its preference (dcmtk, Orthanc and
 * dcmjs-dimse put the syntax of the data first), so the first proposed syntax we accept wins: what the
 * sender holds arrives without being decompressed or re-encoded on the way.
 */
export function decideContext(abstractSyntaxUid: string, proposed: readonly string[], policy: NegotiationPolicy): ContextDecision {
  const accepted = acceptedSyntaxesFor(abstractSyntaxUid, policy);
  if (accepted === undefined) return { result: ContextResult.RejectAbstractSyntaxNotSupported };
  const chosen = proposed.find((uid) => accepted.includes(uid));
  return chosen === undefined
    ? { result: ContextResult.RejectTransferSyntaxesNotSupported }
    : { result: ContextResult.Accept, transferSyntaxUid: chosen };
}

function acceptedSyntaxesFor(abstractSyntaxUid: string, policy: NegotiationPolicy): readonly string[] | undefined {
  if (abstractSyntaxUid === VERIFICATION_SOP_CLASS) return VERIFICATION_TRANSFER_SYNTAXES;
  const storage = policy.sopClasses === 'all-storage' ? isStorageSopClass(abstractSyntaxUid) : policy.sopClasses.includes(abstractSyntaxUid);
  return storage ? policy.transferSyntaxes : undefined;
}
