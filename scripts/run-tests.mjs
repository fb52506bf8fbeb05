#!/usr/bin/env node
// Runs node's test runner over the project's test files. Node 20's `--test` takes no globs,
// so the files are found here. Usage: run-tests.mjs [unit|e2e|faults|all] [extra node --test flags]
// `faults` runs test/faults/*.test.ts in their long profile, one file at a time; `all` includes
// their short variants (the overload ramp has none: it would load the machine under its neighbours).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const [suite = 'all', ...extra] = process.argv.slice(2);

function find(dir, pred, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, pred, out);
    else if (pred(p)) out.push(relative(root, p));
  }
  return out;
}

const isTest = (p) => p.endsWith('.test.ts');
const topLevel = readdirSync(join(root, 'test')).filter((n) => n.endsWith('.test.ts')).map((n) => `test/${n}`);
const unit = [...['packages', 'services', 'apps'].flatMap((d) => find(join(root, d), isTest)), ...topLevel, ...find(join(root, 'test/support'), isTest)];
const e2e = find(join(root, 'test/e2e'), isTest);
const faults = find(join(root, 'test/faults'), isTest);
const files = suite === 'unit' ? unit : suite === 'e2e' ? e2e : suite === 'faults' ? faults : [...unit, ...e2e, ...faults];
const env = suite === 'faults' ? { ...process.env, ORDERFLOW_FAULTS_PROFILE: process.env.ORDERFLOW_FAULTS_PROFILE ?? 'long' } : process.env;

// The long fault runs measure latency ratios and one of them (overload) saturates the machine on
// purpose: they run one file at a time, so no fault test is another one's noise.
const concurrency = suite === 'faults' ? 1 : 2;
const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...extra, ...files.sort()], { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
