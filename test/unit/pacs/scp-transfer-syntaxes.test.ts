import { describe, expect, it } from 'vitest';
import { TransferSyntax, transferSyntaxEntry } from '../../../adapters/imaging/dicom/transfer-syntaxes.js';
import { ContextResult, decideContext } from '../../../runtime/pacs/scp-negotiation.js';
import { DEFAULT_TRANSFER_SYNTAXES } from '../../../runtime/pacs/uids.js';

/** The C-STORE SCP offers what the decoder reads: a syntax it decodes is never turned away at association time. */
const CR_STORAGE = '1.2.840.10008.5.1.4.1.1.1';
const policy = { sopClasses: 'all-storage' as const, transferSyntaxes: DEFAULT_TRANSFER_SYNTAXES };

describe('SCP transfer syntaxes', () => {
  it('accept every syntax the imaging adapter decodes, and only those', () => {
    const decodable = Object.values(TransferSyntax).filter((uid) => transferSyntaxEntry(uid).codec !== undefined);
    expect([...DEFAULT_TRANSFER_SYNTAXES].sort()).toEqual([...decodable].sort());
  });

  it('accept the three HTJ2K syntaxes (Sup 235) when proposed first, keeping the data as sent', () => {
    for (const uid of ['1.2.840.10008.1.2.4.201', '1.2.840.10008.1.2.4.202', '1.2.840.10008.1.2.4.203']) {
      expect(decideContext(CR_STORAGE, [uid, '1.2.840.10008.1.2.1'], policy)).toEqual({ result: ContextResult.Accept, transferSyntaxUid: uid });
    }
  });
});
