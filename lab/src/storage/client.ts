/**
 * The storage and transfer routes of the server extension (extension/transfers/
 * handlers.py), typed. Nothing here talks to a store itself: the server holds the
 * user's keys, and every URL is swift://, s3:// or file:// as core/storage/location.py
 * parses it.
 */
import { ChangeStream, post, request } from '../api';
import { ROUTES, transferRoute } from '../routes';

/** One row of ``storage/ls``: a container, a "folder" (a key prefix) or an object. */
export interface Entry {
  name: string;
  url: string;
  type: 'file' | 'directory';
  size: number;
}

export type TransferState =
  | 'queued'
  | 'running'
  | 'done'
  | 'interrupted'
  | 'failed'
  | 'cancelled';

/** A transfer's journal record (core/storage/journal.py ``Transfer.to_json``). */
export interface TransferRecord {
  id: string;
  src: string;
  dst: string;
  state: TransferState;
  size: number;
  bytes_done: number;
  checksum: string;
  /** What the copy was checked against (md5, etag, size); empty until it was. */
  verified: string;
  error: string;
  created: number;
  ended: number | null;
  resumable: boolean;
  rate_mb_s: number | null;
}

export const ENDED: TransferState[] = ['done', 'failed', 'cancelled'];

export async function stores(): Promise<string[]> {
  return (await request<{ stores: string[] }>(ROUTES.storage)).stores;
}

export async function ls(location: string): Promise<Entry[]> {
  return (
    await request<{ entries: Entry[] }>(ROUTES.storageLs, {}, { url: location })
  ).entries;
}

export function mkdir(location: string): Promise<unknown> {
  return post(ROUTES.storageMkdir, { url: location });
}

export function rm(location: string): Promise<unknown> {
  return post(ROUTES.storageRm, { url: location });
}

export async function share(location: string, seconds: number): Promise<string> {
  return (await post<{ link: string }>(ROUTES.storageShare, { url: location, seconds }))
    .link;
}

export async function transfers(): Promise<TransferRecord[]> {
  return (await request<{ transfers: TransferRecord[] }>(ROUTES.transfers)).transfers;
}

export function submit(src: string, dst: string): Promise<TransferRecord> {
  return post<TransferRecord>(ROUTES.transfers, { src, dst });
}

export function cancel(id: string): Promise<TransferRecord> {
  return post<TransferRecord>(transferRoute(id, 'cancel'));
}

export function resume(id: string): Promise<TransferRecord> {
  return post<TransferRecord>(transferRoute(id, 'resume'));
}

export function forget(id: string): Promise<unknown> {
  return request(transferRoute(id), { method: 'DELETE' });
}

export interface ITransferStreamHandlers {
  snapshot(records: TransferRecord[]): void;
  transfer(record: TransferRecord): void;
  /** Connected (a snapshot came), or lost and retrying. */
  status(connected: boolean): void;
  /** The stream was refused (a 503, a 403): a new one is tried later. */
  refused(): void;
}

/**
 * GET transfers/events: ``snapshot`` (every transfer) on each connection, then
 * ``transfer`` per change.
 */
export function transferStream(on: ITransferStreamHandlers): ChangeStream {
  return new ChangeStream(ROUTES.transfersEvents, {
    snapshot: data => {
      if (data && Array.isArray(data.transfers)) {
        on.snapshot(data.transfers);
      }
    },
    events: {
      transfer: data => {
        if (data && data.transfer) {
          on.transfer(data.transfer);
        }
      }
    },
    status: connected => on.status(connected),
    refused: () => on.refused(),
    // 5 s, doubling up to a minute: a server without transfers is not asked every 5 s
    retryMs: 5000,
    maxRetryMs: 60000
  });
}
