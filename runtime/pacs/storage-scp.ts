import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import {
  dimse,
  StoreStatus,
  type DimseAssociation,
  type DimseCEchoRequest,
  type DimseCEchoResponse,
  type DimseCStoreRequest,
  type DimseCStoreResponse,
  type DimsePresentationContext,
} from './dimse-library.js';
import { InstanceSink } from './instance-sink.js';
import { writePart10 } from './part10.js';
import { ContextResult, decideContext, type NegotiationPolicy } from './scp-negotiation.js';
import type { ReceivedAssociation } from './dimse-scp.js';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { RejectResult, RejectSource, RejectReason, Status } = dimse.constants;

/** Settings and counters shared by every connection of one SCP (filled by startDimseScp). */
export interface ScpShared {
  readonly aeTitle: string;
  readonly allowedCallingAeTitles: readonly string[];
  readonly maxInstancesPerAssociation: number;
  readonly maxBytesPerAssociation: number;
  readonly maxAssociations: number;
  readonly policy: NegotiationPolicy;
  /** Accepted associations still open or still being handed over to onAssociation. */
  activeAssociations: number;
  readonly log: Logger;
  /** Runs onAssociation; settles (never rejects) when it is done. */
  deliver(association: ReceivedAssociation): Promise<void>;
  /** Makes an instance durable before its C-STORE is answered success; resolves with a handle. */
  readonly persist: ((part10: Uint8Array) => Promise<string>) | undefined;
}

interface PendingStore {
  readonly sink: InstanceSink;
  readonly transferSyntaxUid: string;
  readonly offContext: boolean;
}

/**
 * dcmjs-dimse makes one Scp per connection. This one keeps each C-STORE data set as the raw bytes it
 * received (it never builds a dcmjs Dataset from them, so nothing is parsed, transcoded or re-encoded),
 * answers as soon as the bytes are held, and hands the association's instances over when it ends.
 * Logs carry AE titles, counts and reasons; never a tag value.
 */
export function createStorageScpClass(shared: ScpShared): typeof Scp {
  const { log } = shared;
  return class StorageScp extends Scp {
    #callingAeTitle = '';
    #calledAeTitle = '';
    #accepted = false;
    #ended = false;
    #instances: Uint8Array[] = [];
    #persisted: string[] = [];
    #bytes = 0;
    #refused = 0;
    readonly #stores = new WeakMap<DimseCStoreRequest, PendingStore>();

    constructor(...args: ConstructorParameters<typeof Scp>) {
      super(...args);
      this.on('close', () => this.#end('aborted'));
    }

    override associationRequested(association: DimseAssociation): void {
      this.#callingAeTitle = association.getCallingAeTitle();
      this.#calledAeTitle = association.getCalledAeTitle();
      const refusal = this.#refusal();
      if (refusal) {
        log.warn('pacs.scp.association_rejected', { reason: refusal.reason, calledAeTitle: this.#calledAeTitle, callingAeTitle: this.#callingAeTitle });
        this.sendAssociationReject(refusal.result, refusal.source, refusal.code);
        return;
      }
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const decision = decideContext(context.getAbstractSyntaxUid(), context.getTransferSyntaxUids(), shared.policy);
        if (decision.result === ContextResult.Accept) context.setResult(decision.result, decision.transferSyntaxUid);
        else context.setResult(decision.result);
      }
      this.#accepted = true;
      shared.activeAssociations += 1;
      log.info('pacs.scp.association_accepted', { callingAeTitle: this.#callingAeTitle });
      this.sendAssociationAccept();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
      this.#end('released');
    }

    override abort(): void {
      this.#end('aborted');
      // PS3.8 AA-3: after an A-ABORT the acceptor closes the transport. dcmjs-dimse leaves it open, and DCMTK
      // peers then wait out their ACSE timeout; its socket field is untyped, hence the cast.
      (this as unknown as { socket?: Socket }).socket?.end();
    }

    override cEchoRequest(request: DimseCEchoRequest, callback: (response: DimseCEchoResponse) => void): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override createStoreWritableStream(context: DimsePresentationContext, request: DimseCStoreRequest): Writable {
      const transferSyntaxUid = context.getAcceptedTransferSyntaxUid() ?? '';
      // A C-STORE on a context we did not accept, or for another SOP class than the context's, is not kept.
      const offContext = context.getResult() !== ContextResult.Accept || transferSyntaxUid === '' || trimUid(request.getAffectedSopClassUid()) !== context.getAbstractSyntaxUid();
      const full = this.#instances.length >= shared.maxInstancesPerAssociation;
      const sink = new InstanceSink(shared.maxBytesPerAssociation - this.#bytes, full || offContext);
      this.#stores.set(request, { sink, transferSyntaxUid, offContext });
      return sink;
    }

    /** dcmjs-dimse wants a Dataset here; an empty one stands in, the bytes stay in the sink. */
    override createDatasetFromStoreWritableStream(
      writable: Writable,
      context: DimsePresentationContext,
      callback: (dataset: InstanceType<typeof Dataset>) => void,
    ): void {
      const done = () => callback(new Dataset({}, context.getAcceptedTransferSyntaxUid()));
      if (writable.writableFinished) done();
      else writable.once('finish', done);
    }

    override cStoreRequest(request: DimseCStoreRequest, callback: (response: DimseCStoreResponse) => void): void {
      const response = CStoreResponse.fromRequest(request);
      // Success is answered only once the bytes are held (and, with persist, on disk).
      void this.#keep(request).then((status) => {
        response.setStatus(status);
        callback(response);
      });
    }

    /** Holds the instance's bytes and says which status to answer. */
    async #keep(request: DimseCStoreRequest): Promise<number> {
      const store = this.#stores.get(request);
      this.#stores.delete(request);
      if (!store) return StoreStatus.ProcessingFailure;
      if (store.offContext) {
        log.warn('pacs.scp.store_refused', { callingAeTitle: this.#callingAeTitle, reason: 'presentation-context', status: StoreStatus.SopClassNotSupported });
        return StoreStatus.SopClassNotSupported;
      }
      if (store.sink.overBudget) {
        this.#refused += 1;
        const reason = this.#instances.length >= shared.maxInstancesPerAssociation ? 'max-instances' : 'max-bytes';
        log.warn('pacs.scp.store_refused', { callingAeTitle: this.#callingAeTitle, reason, status: StoreStatus.OutOfResources });
        return StoreStatus.OutOfResources;
      }
      try {
        const part10 = writePart10(
          {
            sopClassUid: trimUid(request.getAffectedSopClassUid()),
            sopInstanceUid: trimUid(request.getAffectedSopInstanceUid()),
            transferSyntaxUid: store.transferSyntaxUid,
            sourceAeTitle: this.#callingAeTitle,
          },
          store.sink.chunks,
        );
        if (shared.persist) this.#persisted.push(await shared.persist(part10));
        this.#instances.push(part10);
        this.#bytes += store.sink.receivedBytes;
        return StoreStatus.Success;
      } catch {
        log.error('pacs.scp.store_failed', { callingAeTitle: this.#callingAeTitle, status: StoreStatus.ProcessingFailure });
        return StoreStatus.ProcessingFailure;
      }
    }

    #refusal(): { reason: string; result: number; source: number; code: number } | undefined {
      if (this.#calledAeTitle !== shared.aeTitle) {
        return { reason: 'called-ae-title', result: RejectResult.Permanent, source: RejectSource.ServiceUser, code: RejectReason.CalledAeNotRecognized };
      }
      if (shared.allowedCallingAeTitles.length > 0 && !shared.allowedCallingAeTitles.includes(this.#callingAeTitle)) {
        return { reason: 'calling-ae-title', result: RejectResult.Permanent, source: RejectSource.ServiceUser, code: RejectReason.CallingAeNotRecognized };
      }
      if (shared.activeAssociations >= shared.maxAssociations) {
        return { reason: 'max-associations', result: RejectResult.Transient, source: RejectSource.ServiceProviderPresentation, code: RejectReason.LocalLimitExceeded };
      }
      return undefined;
    }

    #end(ending: ReceivedAssociation['ending']): void {
      if (this.#ended) return;
      this.#ended = true;
      if (!this.#accepted) return;
      const instances = this.#instances;
      const persisted = this.#persisted;
      this.#instances = [];
      this.#persisted = [];
      log.info('pacs.scp.association_ended', { callingAeTitle: this.#callingAeTitle, ending, instances: instances.length, refused: this.#refused, bytes: this.#bytes });
      if (instances.length === 0) {
        shared.activeAssociations -= 1;
        return;
      }
      // The association keeps its place under maxAssociations until its instances are handed over, so a slow
      // consumer makes new associations wait (transient rejection) instead of piling up bytes in memory.
      void shared
        .deliver({ callingAeTitle: this.#callingAeTitle, calledAeTitle: this.#calledAeTitle, instances, persisted, ending, refused: this.#refused })
        .finally(() => (shared.activeAssociations -= 1));
    }
  };
}

function trimUid(uid: string | undefined): string {
  return (uid ?? '').replace(/[\0 ]+$/, '');
}
