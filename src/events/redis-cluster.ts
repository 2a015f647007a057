import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CallEvent } from '../domain/events.js';
import { AppError, ErrorCode } from '../domain/errors.js';
import type { CallRecord } from '../domain/record.js';
import type { KnownState } from './diff.js';
import type { ClusterMembership, ClusterPeer, FeedCluster, FeedKey } from './hub.js';
import { connectToRedis } from '../redis-client.js';

/** Every Redis key and channel of live events starts with this. */
export const EVENTS_KEY_PREFIX = 'call-history:events:';
/** How these connections show in Redis's CLIENT LIST. */
export const EVENTS_CONNECTION_NAME = 'call-history-events';
/** The namespace of pair names when no deployment secret is given. */
const DEFAULT_NAMESPACE = 'call-history-events';
/** A stored snapshot outlives its last write (or lease renewal) by this many lease TTLs. */
const SNAPSHOT_TTLS = 3;
/** How long `lead()` waits for a connection under way before this replica polls on its own. */
const CONNECT_WAIT_MS = 1_000;
/** Codes a leader may pass on to end the followers' subscriptions: refusals that hold for the whole pair. */
const RELAYED_FAILURES = new Set<string>([ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.BAD_USER_INPUT]);

/** Takes the lease when it is free, or renews it when this member holds it; 1 while this member leads. */
const LEAD = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return 1
end
if holder then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`;

/** Stores the snapshot only while this member holds the lease (a deposed leader must not overwrite it), then publishes. */
const PUBLISH = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1`;

/** Deletes the lease only if this member holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The Redis names of one pair: a keyed digest of the credential digest (never the credential), and the project. */
export interface PairNames {
  lease: string;
  snapshot: string;
  channel: string;
}

/**
 * Names that reveal neither the credential nor its plain digest: an HMAC of the digest under the deployment's
 * secret, so the names cannot be matched against a guessed credential elsewhere. Pure.
 */
export function pairNames(key: FeedKey, namespaceSecret: string | undefined): PairNames {
  const credential = createHmac('sha256', namespaceSecret ?? DEFAULT_NAMESPACE).update(key.scope).digest('base64url').slice(0, 22);
  const pair = `${credential}:${encodeURIComponent(key.projectId)}`;
  return {
    lease: `${EVENTS_KEY_PREFIX}lease:${pair}`,
    snapshot: `${EVENTS_KEY_PREFIX}state:${pair}`,
    channel: `${EVENTS_KEY_PREFIX}feed:${pair}`,
  };
}

const POKE_CHANNEL = `${EVENTS_KEY_PREFIX}poke`;

/** What travels on a pair's channel. */
type FeedMessage =
  | { from: string; events: WireEvent[] }
  | { from: string; failure: { code: string; message: string; extensions: Record<string, unknown> } };

type WireRecord = Omit<CallRecord, 'startedAt' | 'endedAt'> & { startedAt: string | null; endedAt: string | null };
type WireEvent = Omit<CallEvent, 'call' | 'observedAt'> & { call: WireRecord; observedAt: string };

const isoOrNull = (date: Date | null) => (date === null ? null : date.toISOString());
const dateOrNull = (iso: string | null) => (iso === null ? null : new Date(iso));

/** An event as JSON can carry it (instants as ISO strings), and back. Pure. */
export const encodeEvent = (event: CallEvent): WireEvent => ({
  ...event,
  observedAt: event.observedAt.toISOString(),
  call: { ...event.call, startedAt: isoOrNull(event.call.startedAt), endedAt: isoOrNull(event.call.endedAt) },
});

export const decodeEvent = (wire: WireEvent): CallEvent => ({
  ...wire,
  observedAt: new Date(wire.observedAt),
  call: { ...wire.call, startedAt: dateOrNull(wire.call.startedAt), endedAt: dateOrNull(wire.call.endedAt) },
});

/** A stored snapshot: the state and when it was written (a member only takes over from one written after it joined). */
interface StoredSnapshot {
  savedAt: number;
  state: KnownState;
}

export interface RedisFeedClusterOptions {
  url: string;
  /** The lease's time to live; the hub renews it every third of its poll interval. */
  leaseTtlMs: number;
  /** Keys pair names (CURSOR_SECRET: the same on every replica); unset: a fixed namespace. */
  namespaceSecret?: string | undefined;
  logger: Logger;
}

interface Channel {
  peer: ClusterPeer;
}

/**
 * Replicas share watchers through Redis: per (credential digest, project) one replica holds a lease and polls;
 * it stores what it knows (the snapshot) and publishes its events on the pair's channel; every replica with
 * subscribers of the pair listens there. A leader that dies stops renewing; its lease expires and a listening
 * replica takes over from the snapshot. A Redis that cannot be reached makes `lead()` throw at once (no offline
 * queue), and the hub then polls for its own subscribers until Redis answers again.
 */
export class RedisFeedCluster implements FeedCluster {
  private readonly commands: Redis;
  private readonly listener: Redis;
  private readonly channels = new Map<string, Channel>();
  private readonly pokeListeners: Array<(projectId: string | null) => void> = [];
  private readonly replicaId = randomUUID();
  private members = 0;
  /** Settles once this connection's channels are subscribed again. */
  private listening: Promise<void> = Promise.resolve();
  private closing = false;
  private down = false;
  private readonly logger: Logger;

  constructor(private readonly options: RedisFeedClusterOptions) {
    this.logger = options.logger.child({ component: 'call-events-cluster' });
    this.commands = connectToRedis(options.url, {
      connectionName: EVENTS_CONNECTION_NAME,
      // Fail at once while Redis is away: the hub then polls on its own instead of waiting.
      enableOfflineQueue: false,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 1,
    });
    this.listener = connectToRedis(options.url, { connectionName: EVENTS_CONNECTION_NAME });
    for (const connection of [this.commands, this.listener]) {
      connection.on('error', (error: Error) => this.wentDown(error));
      connection.on('close', () => this.wentDown());
      connection.on('ready', () => this.cameBack());
    }
    this.listener.on('message', (channel: string, message: string) => this.received(channel, message));
    // Listening again after each (re)connection; ioredis reports `ready` before its own resubscription is done.
    this.listener.on('ready', () => {
      this.listening = this.listener.subscribe(POKE_CHANNEL, ...this.channels.keys()).then(
        () => undefined,
        () => undefined,
      );
    });
  }

  join(key: FeedKey, peer: ClusterPeer): ClusterMembership {
    const names = pairNames(key, this.options.namespaceSecret);
    const token = `${this.replicaId}:${++this.members}`;
    const joinedAt = Date.now();
    const ttl = this.options.leaseTtlMs;
    const snapshotTtl = ttl * SNAPSHOT_TTLS;
    // Listening first: a follower must not miss what the leader publishes once it knows it follows.
    let listening: Promise<unknown> | undefined;
    const listen = () => {
      listening ??= this.listener.subscribe(names.channel).catch((error: unknown) => {
        listening = undefined;
        throw error;
      });
      return listening;
    };
    void listen().catch(() => undefined);
    this.channels.set(names.channel, { peer });
    let left = false;
    return {
      lead: async () => {
        await this.connected();
        await listen();
        return (await this.commands.eval(LEAD, 2, names.lease, names.snapshot, token, ttl, snapshotTtl)) === 1;
      },
      snapshot: async () => {
        const stored = await this.commands.get(names.snapshot);
        if (stored === null) return null;
        const { savedAt, state } = JSON.parse(stored) as StoredSnapshot;
        // Written before this replica listened: events since then were never delivered here, so start afresh.
        return savedAt >= joinedAt ? state : null;
      },
      publish: async (events, state) => {
        const snapshot: StoredSnapshot = { savedAt: Date.now(), state };
        const message: FeedMessage = { from: this.replicaId, events: events.map(encodeEvent) };
        await this.commands.eval(PUBLISH, 2, names.lease, names.snapshot, token, JSON.stringify(snapshot), snapshotTtl, names.channel, JSON.stringify(message));
      },
      publishFailure: async (error) => {
        const message: FeedMessage = {
          from: this.replicaId,
          failure: { code: error.code, message: error.message, extensions: { ...error.extensions } },
        };
        await this.commands.publish(names.channel, JSON.stringify(message));
      },
      leave: async () => {
        if (left) return;
        left = true;
        if (this.channels.get(names.channel)?.peer === peer) {
          this.channels.delete(names.channel);
          void this.listener.unsubscribe(names.channel).catch(() => undefined);
        }
        await this.commands.eval(RELEASE, 1, names.lease, token);
      },
    };
  }

  poke(projectId: string | null): void {
    const local = () => this.pokeListeners.forEach((listener) => listener(projectId));
    if (this.commands.status !== 'ready') return local();
    // Every replica hears it (this one too, through its own subscription); only a lease holder has a watcher to poke.
    this.commands.publish(POKE_CHANNEL, projectId ?? '').catch(local);
  }

  onPoke(listener: (projectId: string | null) => void): void {
    this.pokeListeners.push(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.commands, this.listener].map((connection) =>
        connection.status === 'ready' ? connection.quit().catch(() => connection.disconnect()) : connection.disconnect(),
      ),
    );
  }

  /** Drops both connections at once and releases nothing, as a killed process would (tests). */
  abandon(): void {
    this.closing = true;
    this.commands.disconnect();
    this.listener.disconnect();
  }

  /** Both connections ready, waiting a moment for them (a replica that just started, a reconnection under way). */
  private async connected(): Promise<void> {
    const ready = () => this.commands.status === 'ready' && this.listener.status === 'ready';
    const deadline = Date.now() + CONNECT_WAIT_MS;
    while (!ready() && !this.closing && Date.now() < deadline) await sleep(20);
    if (!ready()) throw new Error('Redis is not connected');
    await this.listening;
  }

  private received(channel: string, raw: string) {
    if (channel === POKE_CHANNEL) {
      const projectId = raw === '' ? null : raw;
      this.pokeListeners.forEach((listener) => listener(projectId));
      return;
    }
    const target = this.channels.get(channel);
    if (!target) return;
    let message: FeedMessage;
    try {
      message = JSON.parse(raw) as FeedMessage;
    } catch {
      return;
    }
    if (message.from === this.replicaId) return;
    if ('events' in message) target.peer.deliver(message.events.map(decodeEvent));
    else if (RELAYED_FAILURES.has(message.failure.code)) {
      const { code: _code, ...extensions } = message.failure.extensions;
      target.peer.fail(new AppError(message.failure.code as ErrorCode, message.failure.message, extensions));
    }
  }

  private wentDown(error?: Error) {
    if (this.down || this.closing) return;
    this.down = true;
    // The URL may hold a password: only the error's code and message are logged.
    this.logger.warn(
      error ? { code: (error as NodeJS.ErrnoException).code, err: error.message } : {},
      'call events: Redis is unreachable; each replica polls for its own subscribers until it answers',
    );
  }

  private cameBack() {
    if (!this.down || this.closing) return;
    if (this.commands.status !== 'ready' || this.listener.status !== 'ready') return;
    this.down = false;
    this.logger.info('call events: Redis is reachable again; watchers are shared again');
  }
}
