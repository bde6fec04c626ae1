/**
 * Per-deployment facts learned at run time, with one owner (the Gateway, which clears them on a config
 * reload):
 * - the wire a deployment really speaks when it differs from its configured one (a `responses` deployment
 *   without `wire_api` that answered 404 on `/responses` is served over `chat` from then on);
 * - that a deployment rejects a reasoning-effort field (a model without reasoning answering 400 to Codex's
 *   `reasoning_effort: "none"` or `reasoning.effort`): the field is left out for it from then on.
 */
import type { Deployment } from '../types';
import type { Wire } from './types';

/** Wires learned per deployment id (see the module notes). */
export class LearnedWires {
  private readonly byId = new Map<string, Wire>();
  private readonly noEffort = new Set<string>();

  /** The wire `d` speaks now: the learned one, else its configured `wire`. */
  wireOf(d: Deployment): Wire {
    return this.byId.get(d.id) ?? d.wire;
  }

  /** Records that `d` speaks `wire` from now on. */
  learn(d: Deployment, wire: Wire): void {
    this.byId.set(d.id, wire);
  }

  /** True once `d` rejected a reasoning-effort field (see the module notes). */
  rejectsEffort(d: Deployment): boolean {
    return this.noEffort.has(d.id);
  }

  /** Records that `d` rejects reasoning-effort fields. */
  learnRejectsEffort(d: Deployment): void {
    this.noEffort.add(d.id);
  }

  /** Forgets everything (a new configuration starts afresh). */
  clear(): void {
    this.byId.clear();
    this.noEffort.clear();
  }
}
