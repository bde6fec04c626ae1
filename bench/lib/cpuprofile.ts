/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`; Chrome DevTools Protocol `Profiler.Profile`
 * format: `nodes` with `callFrame` and `children`, `samples`, `timeDeltas` in microseconds) and reports
 * where the time went: self time per function, inclusive time per project function, and self time per
 * source area (our src/, each npm package, Node internals, GC).
 *
 * Bundle positions are mapped back to the TypeScript sources with the bundle's source map (Node's
 * `module.SourceMap`), so a hot spot reads `src/gateway/proxy.ts:312`.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Subset of the profile format used here. Line and column numbers are 0-based. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }>;
  /** Start and end of the profile, in microseconds. */
  startTime: number;
  endTime: number;
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds between consecutive samples. */
  timeDeltas: number[];
}

/** One row of a report. Times in ms; shares in percent of the busy (non-idle) time. */
export interface HotSpot {
  /** Function name (`(anonymous)` when V8 has none). */
  name: string;
  /** `src/gateway/proxy.ts:312`, `node_modules/undici/...:10`, `node:internal/...:5`, or `-`. */
  location: string;
  ms: number;
  pct: number;
}

/** The whole analysis. */
export interface ProfileReport {
  /** Profiled wall time, ms. */
  wallMs: number;
  /** Time not idle (sampled while JS, GC or native code ran), ms. */
  busyMs: number;
  /** Top functions by self time. */
  self: HotSpot[];
  /** Top project (`src/`) functions by inclusive time (self + callees; recursion counted once). */
  inclusive: HotSpot[];
  /** Self time per area: `src/<dir>/<file>`, `npm:<package>`, `node internals`, `(garbage collector)`, ... */
  areas: HotSpot[];
}

/** Maps positions inside a bundle back to its sources. */
export interface BundleMap {
  /** Absolute path of the bundle file (the profile's `url` is its `file://` URL). */
  bundlePath: string;
  /** Absolute path of the source map. */
  mapPath: string;
  /** Directory that source paths are shown relative to (the repository root). */
  root: string;
}

interface Loc {
  key: string;
  name: string;
  location: string;
  area: string;
}

/**
 * Analyses a profile.
 * @param top how many rows each list keeps.
 * @throws Error when the file is not a V8 CPU profile.
 */
export function analyzeProfile(profile: CpuProfile, bundle: BundleMap | undefined, top = 20): ProfileReport {
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples)) throw new Error('not a V8 .cpuprofile (no nodes/samples)');
  const map = bundle ? new SourceMap(JSON.parse(readFileSync(bundle.mapPath, 'utf8'))) : undefined;
  const mapDir = bundle ? dirname(bundle.mapPath) : '';
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const locCache = new Map<number, Loc>();
  const locOf = (id: number): Loc => {
    let l = locCache.get(id);
    if (l) return l;
    const cf = byId.get(id)!.callFrame;
    const name = cf.functionName || '(anonymous)';
    let location = '-';
    let area = name.startsWith('(') ? name : 'native / unknown';
    let url = cf.url;
    if (url.startsWith('file://')) url = fileURLToPath(url);
    if (bundle && url === bundle.bundlePath && map) {
      const e = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
      if (e.originalSource) {
        const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(mapDir, e.originalSource);
        const rel = relative(bundle.root, src);
        location = `${rel}:${(e.originalLine ?? 0) + 1}`;
        area = areaOf(rel);
      } else {
        location = `${relative(bundle.root, url)}:${cf.lineNumber + 1}`;
        area = 'bundle (unmapped)';
      }
    } else if (url.startsWith('node:')) {
      location = `${url}:${cf.lineNumber + 1}`;
      area = 'node internals';
    } else if (url) {
      const rel = bundle ? relative(bundle.root, url) : url;
      location = `${rel}:${cf.lineNumber + 1}`;
      area = areaOf(rel);
    }
    l = { key: `${name}@${location}`, name, location, area };
    locCache.set(id, l);
    return l;
  };

  // Sample i lasts until sample i+1 (timeDeltas[i+1]); the last one gets the mean.
  const n = profile.samples.length;
  const wallMs = (profile.endTime - profile.startTime) / 1000;
  const dur = (i: number) => (i + 1 < n ? profile.timeDeltas[i + 1] : wallMs * 1000 / Math.max(1, n)) / 1000;

  const self = new Map<string, { loc: Loc; ms: number }>();
  const areas = new Map<string, number>();
  const incl = new Map<string, { loc: Loc; ms: number }>();
  const stackKeys = new Map<number, Loc[]>();
  const projectStack = (id: number): Loc[] => {
    let s = stackKeys.get(id);
    if (s) return s;
    const p = parent.get(id);
    const up = p === undefined ? [] : projectStack(p);
    const l = locOf(id);
    s = l.location.startsWith('src/') && !up.some((u) => u.key === l.key) ? [...up, l] : up;
    stackKeys.set(id, s);
    return s;
  };
  let busyMs = 0;
  for (let i = 0; i < n; i++) {
    const id = profile.samples[i];
    const l = locOf(id);
    const d = dur(i);
    if (l.name === '(idle)') continue;
    busyMs += d;
    const e = self.get(l.key) ?? { loc: l, ms: 0 };
    e.ms += d;
    self.set(l.key, e);
    areas.set(l.area, (areas.get(l.area) ?? 0) + d);
    for (const s of projectStack(id)) {
      const x = incl.get(s.key) ?? { loc: s, ms: 0 };
      x.ms += d;
      incl.set(s.key, x);
    }
  }
  const pct = (ms: number) => (busyMs > 0 ? (100 * ms) / busyMs : 0);
  const rows = (m: Map<string, { loc: Loc; ms: number }>) =>
    [...m.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ name: e.loc.name, location: e.loc.location, ms: e.ms, pct: pct(e.ms) }));
  return {
    wallMs,
    busyMs,
    self: rows(self),
    inclusive: rows(incl),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, location: '-', ms, pct: pct(ms) })),
  };
}

/** Groups a repository-relative path: `src/gateway/proxy.ts`, or `npm:<package>` for node_modules. */
export function areaOf(rel: string): string {
  const nm = rel.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = rel.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return rel;
}
