import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Self time from a V8 .cpuprofile, grouped by code area and by function. */
export interface ProfileSummary {
  readonly file: string;
  /** Sampled time excluding (idle), ms. */
  readonly busyMs: number;
  readonly idleMs: number;
  /** Share of busy time, highest first: packages (node_modules), repo folders, node: internals, GC. */
  readonly byArea: readonly { readonly name: string; readonly pct: number }[];
  readonly byFunction: readonly { readonly name: string; readonly pct: number }[];
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Summarises the main-thread profile in `dir` (Node names them CPU.<date>.<time>.<pid>.<thread>.<seq>;
 * thread 0 is the main thread, others are workers such as the tsx loader); undefined if none.
 */
export async function summariseMainProfile(dir: string, top = 12): Promise<ProfileSummary | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile')).sort();
  const main = files.filter((f) => f.split('.')[4] === '0').at(-1) ?? files.at(-1);
  if (main === undefined) return undefined;
  const file = join(dir, main);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'}${url ? ` ${shortUrl(url)}:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, pct: Math.round((us / busyUs) * 1000) / 10 }));
  return { file, busyMs: Math.round(busyUs / 1000), idleMs: Math.round(idleUs / 1000), byArea: ranked(areas), byFunction: ranked(functions) };
}

/** Renders a summary as two short ranked lists. */
export function formatProfile(p: ProfileSummary): string {
  const list = (items: ProfileSummary['byArea']): string => items.map((i) => `    ${i.pct.toFixed(1).padStart(5)}%  ${i.name}`).join('\n');
  return [
    `orderflow CPU profile (${p.file}): ${(p.busyMs / 1000).toFixed(1)} s busy, ${(p.idleMs / 1000).toFixed(1)} s idle; self time by area:`,
    list(p.byArea),
    '  by function:',
    list(p.byFunction),
  ].join('\n');
}

function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.split('/')[0]!;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const repo = /\/(services|packages|apps)\/([^/]+)\//.exec(url);
  if (repo) return `${repo[1]}/${repo[2]}`;
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('node_modules/');
  if (i >= 0) return url.slice(i + 'node_modules/'.length);
  const m = /\/((?:services|packages|apps|bench)\/.*)$/.exec(url);
  return m ? m[1]! : url.replace(/^file:\/\//, '');
}
