/**
 * Per-deployment facts learned at run time, with one owner (the Gateway, which clears them on a config
 * reload): today, the wire a deployment really speaks when it differs from its configured one (a
 * `responses` deployment without `wire_api` that answered 404 on `/responses` is served over `chat` from
 * then on).
 */
import type { Deployment } from '../types';
import type { Wire } from './types';

/** Wires learned per deployment id (see the module notes). */
export class LearnedWires {
  private readonly byId = new Map<string, Wire>();

  /** The wire `d` speaks now: the learned one, else its configured `wire`. */
  wireOf(d: Deployment): Wire {
    return this.byId.get(d.id) ?? d.wire;
  }

  /** Records that `d` speaks `wire` from now on. */
  learn(d: Deployment, wire: Wire): void {
    this.byId.set(d.id, wire);
  }

  /** Forgets everything (a new configuration starts afresh). */
  clear(): void {
    this.byId.clear();
  }
}
