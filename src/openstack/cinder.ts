/**
 * Cinder v3: the block-storage calls snapsentry makes (`BlockStorageApi`). The negotiated
 * microversion is fixed at construction and sent on every request; features are gated on it:
 * server-side snapshot metadata filter from 3.22, revert-to-snapshot from 3.40, no `force` on
 * snapshot create from 3.66.
 */
import type { Logger } from "../log.ts";
import { nullLogger } from "../log.ts";
import type { HttpRequest, HttpResponse, RequestScope } from "./http.ts";
import { atLeast, microversionHeaders } from "./microversion.ts";
import { collectPages, DEFAULT_PAGE_LIMIT } from "./paginate.ts";
import { SnapsentryError } from "../errors.ts";
import type {
  BlockStorageApi,
  CreateSnapshotOptions,
  CreateVolumeOptions,
  ListSnapshotsOptions,
  ListVolumesOptions,
  MutationResult,
  QuotaSet,
  Snapshot,
  Volume,
} from "./types.ts";
import { type Check, decodeAnswer, opt, shape } from "./wire_check.ts";
import {
  checkMetadataBody,
  checkQuotaSet,
  checkSnapshot,
  checkVolume,
  pageOf,
  toQuotaSet,
  toSnapshot,
  toVolume,
  type WireQuotaSet,
  type WireSnapshot,
  type WireVolume,
} from "./wire_types.ts";

// The answers this client reads, checked before they are mapped (wire_check.ts).
const VOLUMES_PAGE = pageOf("volumes", checkVolume);
const SNAPSHOTS_PAGE = pageOf("snapshots", checkSnapshot);
const VOLUME_BODY = shape<{ volume: WireVolume }>({ volume: checkVolume });
const SNAPSHOT_BODY = shape<{ snapshot: WireSnapshot }>({ snapshot: checkSnapshot });
const QUOTA_BODY = shape<{ quota_set: WireQuotaSet }>({ quota_set: checkQuotaSet });
const METADATA_BODY = opt(checkMetadataBody);

/** Sends an authenticated request (KeystoneSession implements it). */
export interface Requester {
  request(req: HttpRequest): Promise<HttpResponse>;
}

export interface CinderClientOptions {
  session: Requester;
  /** Endpoint including the project id, e.g. `http://h:8776/v3/<project>`. */
  endpoint: string;
  projectId: string;
  microversion: string;
  logger?: Logger;
  /** The run every request of this client belongs to (see {@link CinderClient.withScope}). */
  scope?: RequestScope;
  /** Most pages one listing may take (default: enough for 1,000,000 items at 1,000 a page). */
  maxPages?: number;
}

/** Microversion that added the snapshot list `metadata` filter. */
export const MV_SNAPSHOT_METADATA_FILTER = "3.22";
/** From this microversion `force` is no longer needed (and `false` is rejected). */
export const MV_NO_FORCE = "3.66";
/** Microversion that added revert-to-snapshot (`revert` volume action). */
export const MV_REVERT = "3.40";

/**
 * Encodes a metadata filter as Cinder expects: a dict literal in one `metadata` query parameter
 * (Cinder runs it through `ast.literal_eval`; JSON with string values is a valid literal).
 */
export function encodeMetadataFilter(metadata: Record<string, string>): string {
  return JSON.stringify(metadata);
}

function matchesMetadata(have: Record<string, string>, want: Record<string, string>): boolean {
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** A mutating call's request id, and whether it found the resource already gone (404). */
function mutationResult(r: HttpResponse): MutationResult {
  return {
    ...(r.requestId ? { requestId: r.requestId } : {}),
    ...(r.status === 404 ? { alreadyGone: true } : {}),
  };
}

export class CinderClient implements BlockStorageApi {
  readonly microversion: string;
  readonly projectId: string;
  readonly endpoint: string;
  #options: CinderClientOptions;
  #session: Requester;
  #logger: Logger;
  #headers: Record<string, string>;
  #scope: RequestScope | undefined;

  constructor(options: CinderClientOptions) {
    this.#options = options;
    this.#session = options.session;
    this.endpoint = options.endpoint.replace(/\/+$/, "");
    this.projectId = options.projectId;
    this.microversion = options.microversion;
    this.#logger = options.logger ?? nullLogger;
    this.#headers = microversionHeaders(options.microversion);
    this.#scope = options.scope;
  }

  /** The same client (session, endpoint, microversion) with every request in `scope`. */
  withScope(scope: RequestScope): CinderClient {
    return new CinderClient({ ...this.#options, scope });
  }

  #url(path: string): string {
    return `${this.endpoint}${path}`;
  }

  #send(req: Omit<HttpRequest, "headers">): Promise<HttpResponse> {
    return this.#session.request({
      ...req,
      headers: this.#headers,
      ...(this.#scope ? { scope: this.#scope } : {}),
    });
  }

  /** Listing bounds and the logger that reports a restarted listing. */
  #paging(): { logger: Logger; maxPages?: number } {
    return {
      logger: this.#logger,
      ...(this.#options.maxPages !== undefined ? { maxPages: this.#options.maxPages } : {}),
    };
  }

  /** GETs `url` and checks its answer. */
  async #get<T>(url: string, kind: string, check: Check<T>): Promise<T> {
    const r = await this.#send({ method: "GET", url, expected: [200], kind });
    return decodeAnswer(check, r.body, { method: "GET", url, requestId: r.requestId });
  }

  /** Checks the answer of a mutating call. */
  #decode<T>(check: Check<T>, r: HttpResponse, method: string, url: string): T {
    return decodeAnswer(check, r.body, { method, url, requestId: r.requestId });
  }

  async listVolumes(options: ListVolumesOptions = {}): Promise<Volume[]> {
    const url = new URL(this.#url("/volumes/detail"));
    if (options.metadata && Object.keys(options.metadata).length > 0) {
      url.searchParams.set("metadata", encodeMetadataFilter(options.metadata));
    }
    if (options.status) url.searchParams.set("status", options.status);
    const rows = await collectPages<WireVolume>({
      url: url.toString(),
      collection: "volumes",
      limit: options.limit ?? DEFAULT_PAGE_LIMIT,
      what: "volumes",
      fetchPage: (u) => this.#get(u, "GET volumes/detail", VOLUMES_PAGE),
      ...this.#paging(),
    });
    return rows.map(toVolume);
  }

  async getVolume(id: string): Promise<Volume> {
    const url = this.#url(`/volumes/${encodeURIComponent(id)}`);
    return toVolume((await this.#get(url, "GET volumes", VOLUME_BODY)).volume);
  }

  async mergeVolumeMetadata(
    id: string,
    metadata: Record<string, string>,
  ): Promise<Record<string, string>> {
    const url = this.#url(`/volumes/${encodeURIComponent(id)}/metadata`);
    const r = await this.#send({
      method: "POST",
      url,
      json: { metadata },
      expected: [200],
      // A merge of the same keys converges: safe to repeat.
      idempotent: true,
      kind: "POST volumes/metadata",
    });
    return this.#decode(METADATA_BODY, r, "POST", url)?.metadata ?? {};
  }

  async deleteVolumeMetadataKey(id: string, key: string): Promise<void> {
    await this.#send({
      method: "DELETE",
      url: this.#url(`/volumes/${encodeURIComponent(id)}/metadata/${encodeURIComponent(key)}`),
      expected: [200, 204, 404],
      kind: "DELETE volumes/metadata",
    });
  }

  async createVolume(options: CreateVolumeOptions): Promise<Volume> {
    const volume: Record<string, unknown> = { name: options.name };
    if (options.snapshotId !== undefined) volume.snapshot_id = options.snapshotId;
    if (options.size !== undefined) volume.size = options.size;
    if (options.description !== undefined) volume.description = options.description;
    if (options.metadata !== undefined) volume.metadata = options.metadata;
    if (options.volumeType !== undefined) volume.volume_type = options.volumeType;
    if (options.availabilityZone !== undefined) {
      volume.availability_zone = options.availabilityZone;
    }
    const url = this.#url("/volumes");
    const r = await this.#send({
      method: "POST",
      url,
      json: { volume },
      expected: [202],
      // As a snapshot create: a refusal (429) may be repeated, nothing else blindly.
      idempotent: false,
      retryWhenRefused: true,
      kind: "POST volumes",
    });
    const created = toVolume(this.#decode(VOLUME_BODY, r, "POST", url).volume);
    this.#logger.debug("volume_create_accepted", {
      volume_id: created.id,
      snapshot_id: options.snapshotId,
      request_id: r.requestId,
    });
    return created;
  }

  async revertToSnapshot(volumeId: string, snapshotId: string): Promise<MutationResult> {
    if (!atLeast(this.microversion, MV_REVERT)) {
      throw new SnapsentryError(
        `Cannot revert volume ${volumeId} to a snapshot: the negotiated Cinder microversion ${this.microversion} is below ${MV_REVERT}, which added revert-to-snapshot`,
        { code: "unsupported_microversion", hint: "restore to a new volume instead" },
      );
    }
    const r = await this.#send({
      method: "POST",
      url: this.#url(`/volumes/${encodeURIComponent(volumeId)}/action`),
      json: { revert: { snapshot_id: snapshotId } },
      expected: [202],
      // Not repeated after an unclear failure: a second revert would meet the first one running.
      idempotent: false,
      kind: "POST volumes/action",
    });
    return mutationResult(r);
  }

  async listSnapshots(options: ListSnapshotsOptions = {}): Promise<Snapshot[]> {
    const url = new URL(this.#url("/snapshots/detail"));
    const wantMeta = options.metadata && Object.keys(options.metadata).length > 0
      ? options.metadata
      : undefined;
    const serverSide = wantMeta !== undefined &&
      atLeast(this.microversion, MV_SNAPSHOT_METADATA_FILTER);
    if (wantMeta && serverSide) url.searchParams.set("metadata", encodeMetadataFilter(wantMeta));
    if (options.status) url.searchParams.set("status", options.status);
    if (options.volumeId) url.searchParams.set("volume_id", options.volumeId);
    const rows = await collectPages<WireSnapshot>({
      url: url.toString(),
      collection: "snapshots",
      limit: options.limit ?? DEFAULT_PAGE_LIMIT,
      what: "snapshots",
      fetchPage: (u) => this.#get(u, "GET snapshots/detail", SNAPSHOTS_PAGE),
      ...this.#paging(),
    });
    const snapshots = rows.map(toSnapshot);
    // Below 3.22 Cinder ignores the filter; also re-check server-side results (cheap, and some
    // clouds trim `resource_filters.json`).
    return wantMeta ? snapshots.filter((s) => matchesMetadata(s.metadata, wantMeta)) : snapshots;
  }

  async createSnapshot(options: CreateSnapshotOptions): Promise<Snapshot> {
    const snapshot: Record<string, unknown> = {
      volume_id: options.volumeId,
      name: options.name,
      metadata: options.metadata,
    };
    if (options.description !== undefined) snapshot.description = options.description;
    // From 3.66 force is not needed and false is rejected; below it in-use volumes need it.
    if (!atLeast(this.microversion, MV_NO_FORCE)) snapshot.force = options.force ?? true;
    const url = this.#url("/snapshots");
    const r = await this.#send({
      method: "POST",
      url,
      json: { snapshot },
      expected: [202],
      // Never retried blindly: after a 5xx, a timeout or a dropped connection the create may
      // have happened, and the caller lists by metadata to adopt it instead. A 429 (or a 503
      // with Retry-After) is a refusal before any work, so repeating that is not blind.
      idempotent: false,
      retryWhenRefused: true,
      kind: "POST snapshots",
      ...(options.deadline ? { deadline: options.deadline } : {}),
    });
    const created: Snapshot = toSnapshot(this.#decode(SNAPSHOT_BODY, r, "POST", url).snapshot);
    if (r.requestId) created.requestId = r.requestId;
    this.#logger.debug("snapshot_create_accepted", {
      snapshot_id: created.id,
      volume_id: created.volumeId,
      request_id: r.requestId,
    });
    return created;
  }

  async getSnapshot(id: string): Promise<Snapshot> {
    const url = this.#url(`/snapshots/${encodeURIComponent(id)}`);
    return toSnapshot((await this.#get(url, "GET snapshots", SNAPSHOT_BODY)).snapshot);
  }

  async deleteSnapshot(id: string): Promise<MutationResult> {
    const r = await this.#send({
      method: "DELETE",
      url: this.#url(`/snapshots/${encodeURIComponent(id)}`),
      expected: [202, 204, 404],
      kind: "DELETE snapshots",
    });
    return mutationResult(r);
  }

  async #action(
    id: string,
    action: Record<string, unknown>,
    expected: number[],
  ): Promise<MutationResult> {
    const r = await this.#send({
      method: "POST",
      url: this.#url(`/snapshots/${encodeURIComponent(id)}/action`),
      json: action,
      expected,
      idempotent: true,
      kind: "POST snapshots/action",
    });
    return mutationResult(r);
  }

  forceDeleteSnapshot(id: string): Promise<MutationResult> {
    return this.#action(id, { "os-force_delete": {} }, [202, 404]);
  }

  resetSnapshotStatus(id: string, status: string): Promise<MutationResult> {
    return this.#action(id, { "os-reset_status": { status } }, [202]);
  }

  async updateSnapshotMetadata(
    id: string,
    metadata: Record<string, string>,
  ): Promise<Record<string, string>> {
    const url = this.#url(`/snapshots/${encodeURIComponent(id)}/metadata`);
    const r = await this.#send({
      method: "POST",
      url,
      json: { metadata },
      expected: [200],
      idempotent: true,
      kind: "POST snapshots/metadata",
    });
    return this.#decode(METADATA_BODY, r, "POST", url)?.metadata ?? {};
  }

  async deleteSnapshotMetadataKey(id: string, key: string): Promise<void> {
    await this.#send({
      method: "DELETE",
      url: this.#url(`/snapshots/${encodeURIComponent(id)}/metadata/${encodeURIComponent(key)}`),
      expected: [200, 204, 404],
      kind: "DELETE snapshots/metadata",
    });
  }

  async getQuotaSet(): Promise<QuotaSet> {
    const url = this.#url(`/os-quota-sets/${encodeURIComponent(this.projectId)}?usage=true`);
    const body = await this.#get(url, "GET os-quota-sets", QUOTA_BODY);
    return toQuotaSet(body.quota_set, this.projectId);
  }
}
