/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self
 * time, with their file, so a profile reads in a terminal.
 *
 *   npx tsx bench/support/cpuProfile.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly share: number;
}

/** Samples taken while the profiler stopped and serialised itself (bench/support/serviceServer.ts) are not the app's. */
function profilerOwn(profile: Profile): Set<number> {
  const own = new Set<number>();
  const visit = (id: number, inside: boolean): void => {
    const node = profile.nodes.find((n) => n.id === id);
    if (node === undefined) return;
    const here = inside || node.callFrame.url === 'node:inspector';
    if (here) own.add(id);
    for (const child of node.children ?? []) visit(child, here);
  };
  const root = profile.nodes[0];
  if (root !== undefined) visit(root.id, false);
  return own;
}

export function topSelfTime(file: string, top = 25): { total: number; rows: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const own = profilerOwn(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined || own.has(id)) return;
    total += delta;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : `${shorten(url)}:${lineNumber + 1}`;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const key = `${name} ${where}`;
    const entry = selfUs.get(key) ?? { name, where, us: 0 };
    entry.us += delta;
    selfUs.set(key, entry);
  });
  const rows = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: total === 0 ? 0 : e.us / total }));
  return { total: total / 1000, rows };
}

const shorten = (url: string): string => {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const at = path.lastIndexOf('node_modules/');
  if (at >= 0) return path.slice(at + 'node_modules/'.length);
  const src = path.indexOf('/src/');
  if (src >= 0) return path.slice(src + 1);
  const bench = path.indexOf('/bench/');
  return bench >= 0 ? path.slice(bench + 1) : path;
};

/**
 * Inclusive ("total") time of our own functions (src/ and bench/): each sample counts once
 * for every distinct function on its stack, so a caller shows what its callees cost.
 */
export function topInclusive(file: string, top = 25, keep: (where: string) => boolean = (w) => w.startsWith('src/')): { total: number; rows: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const own = profilerOwn(profile);
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    if (own.has(id)) return;
    total += delta;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node === undefined) break;
      const where = node.callFrame.url === '' ? '' : shorten(node.callFrame.url);
      if (!keep(where)) continue;
      const name = node.callFrame.functionName === '' ? '(anonymous)' : node.callFrame.functionName;
      const key = `${name} ${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = totals.get(key) ?? { name, where, us: 0 };
      entry.us += delta;
      totals.set(key, entry);
    }
  });
  const rows = [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: total === 0 ? 0 : e.us / total }));
  return { total: total / 1000, rows };
}

export function formatInclusive(file: string, top = 25): string {
  const { total, rows } = topInclusive(file, top);
  const lines = rows.map((r) => `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}  ${r.where}`);
  return [`inclusive time of src/ functions, top ${top} of ${total.toFixed(0)} ms sampled:`, ...lines].join('\n');
}

export function formatTop(file: string, top = 25): string {
  const { total, rows } = topSelfTime(file, top);
  const lines = rows.map((r) => `${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}  ${r.where}`);
  return [`self time, top ${top} of ${total.toFixed(0)} ms sampled:`, ...lines].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: tsx bench/support/cpuProfile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(formatTop(file, Number(process.argv[3] ?? 25)));
  console.log(formatInclusive(file, Number(process.argv[3] ?? 25)));
}
