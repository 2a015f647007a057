import type { Logger } from 'pino';
import type { CallEvent, EventSelector } from '../domain/events.js';
import { AppError, ErrorCode } from '../domain/errors.js';
import { type Credential, scopeOf } from '../upstream/credential.js';
import { type KnownState, knownOf } from './diff.js';
import { EventQueue } from './queue.js';
import { type OpenPoll, ProjectWatcher } from './watcher.js';

/** Event ids a feed remembers to deliver each change once (replicas may publish the same change twice). */
const REMEMBERED_EVENT_IDS = 10_000;

/** What a subscriber reads: events, and at most one error, last. */
export type FeedItem = CallEvent | AppError;

/** The pair one watcher serves: a credential (by its digest) and a project. */
export interface FeedKey {
  scope: string;
  projectId: string;
}

/** This replica's part in a cluster of replicas that share watchers (Redis); absent: this replica alone. */
export interface FeedCluster {
  join(key: FeedKey, peer: ClusterPeer): ClusterMembership;
  /** Tells every replica's watchers of the project (null: of every project) to poll now. */
  poke(projectId: string | null): void;
  /** Called with the project of every poke any replica receives. */
  onPoke(listener: (projectId: string | null) => void): void;
  close(): Promise<void>;
}

/** What a replica's feed receives from the others. */
export interface ClusterPeer {
  deliver(events: CallEvent[]): void;
  fail(error: AppError): void;
}

export interface ClusterMembership {
  /** Takes or keeps the lease of this pair; true while this replica polls it. */
  lead(): Promise<boolean>;
  /** The leader's last known state, for a replica that takes over. */
  snapshot(): Promise<KnownState | null>;
  /** Stores the state, then sends the events to the other replicas. */
  publish(events: CallEvent[], state: KnownState): Promise<void>;
  publishFailure(error: AppError): Promise<void>;
  leave(): Promise<void>;
}

export interface HubOptions {
  intervalMs: number;
  listPageSize: number;
  maxKnown: number;
  /** Events one subscriber may have waiting; a full queue disconnects it (SLOW_CONSUMER). */
  queueCapacity: number;
  maxSubscriptionsPerCredential: number;
  /** Reads of one poll with this credential. */
  openPoll(credential: Credential): OpenPoll;
  cluster?: FeedCluster | undefined;
  logger: Logger;
}

interface Subscriber {
  queue: EventQueue<FeedItem>;
  selector: EventSelector;
  /** Takes it out of its feed and frees its place under the credential's cap (once). */
  release(): void;
}

/**
 * Every live subscription of this replica, grouped in feeds by (credential digest, project): one watcher per
 * feed, however many subscribers; a subscriber only ever joins the feed of its own credential. Each subscriber
 * has a bounded queue: one that cannot keep up is disconnected with SLOW_CONSUMER. A credential may hold at
 * most `maxSubscriptionsPerCredential` subscriptions (SUBSCRIPTION_LIMIT).
 */
export class EventHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly perScope = new Map<string, number>();

  constructor(private readonly options: HubOptions) {
    options.cluster?.onPoke((projectId) => this.pokeLocal(projectId));
  }

  /** A subscription; it ends when `signal` aborts (the client left), whether or not the stream is being read. */
  subscribe(credential: Credential, projectId: string, selector: EventSelector, signal?: AbortSignal): AsyncIterable<FeedItem> {
    const scope = scopeOf(credential);
    const held = this.perScope.get(scope) ?? 0;
    if (held >= this.options.maxSubscriptionsPerCredential) {
      throw new AppError(
        ErrorCode.SUBSCRIPTION_LIMIT,
        `This credential already holds ${held} subscriptions, the most allowed (MAX_SUBSCRIPTIONS_PER_CREDENTIAL).`,
        { limit: this.options.maxSubscriptionsPerCredential },
      );
    }
    this.perScope.set(scope, held + 1);
    const key = `${scope}\n${projectId}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      const created: Feed = new Feed({ scope, projectId }, credential, this.options, () => {
        if (this.feeds.get(key) === created) this.feeds.delete(key);
      });
      this.feeds.set(key, (feed = created));
    }
    const joined = feed;
    const leave = () => void subscriber.queue.return();
    let released = false;
    const subscriber: Subscriber = {
      selector,
      release: () => {
        if (released) return;
        released = true;
        joined.remove(subscriber);
        const left = (this.perScope.get(scope) ?? 1) - 1;
        if (left > 0) this.perScope.set(scope, left);
        else this.perScope.delete(scope);
      },
      queue: new EventQueue<FeedItem>(this.options.queueCapacity, () => {
        signal?.removeEventListener('abort', leave);
        subscriber.release();
      }),
    };
    joined.add(subscriber);
    if (signal?.aborted) leave();
    else signal?.addEventListener('abort', leave, { once: true });
    return subscriber.queue;
  }

  /** The webhook's hint: every replica's watchers of this project (null: of every project) poll now. */
  poke(projectId: string | null): void {
    if (this.options.cluster) this.options.cluster.poke(projectId);
    else this.pokeLocal(projectId);
  }

  private pokeLocal(projectId: string | null) {
    for (const feed of this.feeds.values()) if (projectId === null || feed.key.projectId === projectId) feed.poke();
  }

  /** Watchers on this replica, subscriptions, and the events waiting in their queues (for tests and measurements). */
  stats(): { feeds: number; watchers: number; following: number; subscriptions: number; polls: number; waiting: number } {
    let watchers = 0;
    let following = 0;
    let subscriptions = 0;
    let polls = 0;
    let waiting = 0;
    for (const feed of this.feeds.values()) {
      if (feed.watcher) watchers++;
      if (feed.following) following++;
      subscriptions += feed.size;
      polls += feed.polls;
      waiting += feed.waiting;
    }
    return { feeds: this.feeds.size, watchers, following, subscriptions, polls, waiting };
  }

  /** Ends every subscription (their streams complete) and stops every watcher. */
  async close(): Promise<void> {
    await Promise.all([...this.feeds.values()].map((feed) => feed.close()));
    await this.options.cluster?.close();
  }
}

class Feed implements ClusterPeer {
  private readonly subscribers = new Set<Subscriber>();
  private readonly seen = new Set<string>();
  watcher: ProjectWatcher | undefined;
  private membership: ClusterMembership | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private pastPolls = 0;
  /** Another replica polls this pair and this one listens to it (the cluster said so last). */
  following = false;
  /** Redis could not be asked: this replica polls for its own subscribers meanwhile. */
  private alone = false;
  private publishFailing = false;
  /** What this feed learnt of the calls from the events it delivered: where its own watcher starts without a snapshot. */
  private readonly opened = Date.now();
  private readonly delivered = new Map<string, KnownState['calls'][string]>();

  constructor(
    readonly key: FeedKey,
    private readonly credential: Credential,
    private readonly options: HubOptions,
    private readonly onEmpty: () => void,
  ) {
    if (options.cluster) {
      this.membership = options.cluster.join(key, this);
      void this.keepLease();
    } else {
      this.startWatcher(null);
    }
  }

  get size(): number {
    return this.subscribers.size;
  }

  get waiting(): number {
    let items = 0;
    for (const subscriber of this.subscribers) items += subscriber.queue.size;
    return items;
  }

  get polls(): number {
    return this.pastPolls + (this.watcher?.polls ?? 0);
  }

  add(subscriber: Subscriber) {
    this.subscribers.add(subscriber);
  }

  remove(subscriber: Subscriber) {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0) void this.close();
  }

  poke() {
    this.watcher?.poke();
  }

  /** Events from this replica's watcher or another replica's: each id once, to every subscriber that selects it. */
  deliver(events: CallEvent[]): void {
    for (const event of events) {
      if (this.seen.has(event.id)) continue;
      this.seen.add(event.id);
      if (this.seen.size > REMEMBERED_EVENT_IDS) this.seen.delete(this.seen.values().next().value!);
      this.delivered.delete(event.call.sid);
      this.delivered.set(event.call.sid, knownOf(event.call));
      if (this.delivered.size > this.options.maxKnown) this.delivered.delete(this.delivered.keys().next().value!);
      for (const subscriber of this.subscribers) {
        if (!subscriber.selector(event)) continue;
        if (!subscriber.queue.push(event)) {
          subscriber.queue.finish(
            new AppError(
              ErrorCode.SLOW_CONSUMER,
              `This subscription fell ${this.options.queueCapacity} events behind (EVENTS_SUBSCRIBER_QUEUE) and was ended; subscribe again.`,
              { limit: this.options.queueCapacity },
            ),
          );
          // Ended now, not when its stalled transport reads the reason: it gets no more events and no longer
          // counts under the credential's cap (nor keeps the watcher going).
          subscriber.release();
        }
      }
    }
  }

  fail(error: AppError): void {
    for (const subscriber of [...this.subscribers]) subscriber.queue.finish(error);
    void this.close();
  }

  /** Where a watcher starts without the leader's snapshot: since this feed opened, knowing what it delivered. */
  private deliveredState(): KnownState {
    return { since: this.opened, calls: Object.fromEntries(this.delivered) };
  }

  private startWatcher(initial: KnownState | null) {
    const membership = this.membership;
    this.watcher = new ProjectWatcher({
      projectId: this.key.projectId,
      intervalMs: this.options.intervalMs,
      listPageSize: this.options.listPageSize,
      maxKnown: this.options.maxKnown,
      open: this.options.openPoll(this.credential),
      initial: initial ?? (membership ? this.deliveredState() : null),
      logger: this.options.logger,
      deliver: async (events, state) => {
        this.deliver(events);
        if (!membership) return;
        try {
          await membership.publish(events, state);
          this.publishFailing = false;
        } catch (error) {
          // Once per outage: the cluster logs the outage itself.
          if (!this.publishFailing) this.options.logger.warn({ err: (error as Error).message }, 'call events: publishing to the other replicas failed');
          this.publishFailing = true;
        }
      },
      fail: (error) => {
        void membership?.publishFailure(error).catch(() => undefined);
        this.fail(error);
      },
    });
    this.watcher.start();
  }

  private stopWatcher() {
    if (!this.watcher) return;
    this.pastPolls += this.watcher.polls;
    this.watcher.stop();
    this.watcher = undefined;
  }

  /** With a cluster: take the lease when it is free, keep it while leading, stop polling when it is lost. */
  private async keepLease() {
    if (this.closed || !this.membership) return;
    try {
      const leading = await this.membership.lead();
      if (this.closed) return;
      if (this.alone) this.options.logger.info({ projectId: this.key.projectId, leading }, 'call events: the lease decides again who polls');
      this.alone = false;
      this.following = !leading;
      if (leading && !this.watcher) {
        const known = await this.membership.snapshot();
        if (!this.closed && !this.watcher) this.startWatcher(known);
      } else if (!leading && this.watcher) this.stopWatcher();
    } catch (error) {
      // Redis is away: poll for this replica's own subscribers (events keep their ids, so none is delivered
      // twice); the lease decides again once Redis answers.
      if (this.closed) return;
      if (!this.alone) {
        this.options.logger.warn(
          { projectId: this.key.projectId, err: (error as Error).message },
          'call events: the lease could not be checked; polling for this replica\'s subscribers',
        );
      }
      this.alone = true;
      this.following = false;
      if (!this.watcher) this.startWatcher(null);
    }
    if (this.closed) return;
    this.leaseTimer = setTimeout(() => void this.keepLease(), Math.max(100, Math.floor(this.options.intervalMs / 3)));
    this.leaseTimer.unref?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.leaseTimer);
    this.stopWatcher();
    this.onEmpty();
    for (const subscriber of [...this.subscribers]) subscriber.queue.finish();
    await this.membership?.leave().catch(() => undefined);
  }
}
