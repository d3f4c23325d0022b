/**
 * The roster: every pool a scenario compares, in the order rows are printed. Fresh instances
 * each call, because a peer is started and closed once per scenario (or per thread count).
 *
 * @module
 */
import { InlinePeer } from './inline.ts';
import type { Peer } from './peer.ts';
import { PiscinaPeer } from './piscina.ts';
import { PoolifierPeer } from './poolifier.ts';
import { RawPostMessagePeer } from './raw-post-message.ts';
import { TandemPeer } from './tandem.ts';
import { TinypoolPeer } from './tinypool.ts';
import { WorkerpoolPeer } from './workerpool.ts';

/** Peers that run tasks in worker threads, Tandem first, the raw floor last. */
export function threadedPeers(options: { tandem: boolean }): Peer[] {
  const pools: Peer[] = [
    new PiscinaPeer(),
    new TinypoolPeer(),
    new WorkerpoolPeer(),
    new PoolifierPeer(),
    new RawPostMessagePeer(),
  ];
  return options.tandem ? [new TandemPeer(), ...pools] : pools;
}

/** The threaded peers plus the main-thread version, for scenarios where inline makes sense. */
export function allPeers(options: { tandem: boolean }): Peer[] {
  return [...threadedPeers(options), new InlinePeer()];
}
