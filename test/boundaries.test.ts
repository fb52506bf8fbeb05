import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SERVICES = readdirSync(join(ROOT, 'services'));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

test('a service never imports another service, by package name or by path', () => {
  const violations: string[] = [];
  for (const svc of SERVICES) {
    for (const file of sourceFiles(join(ROOT, 'services', svc, 'src'))) {
      for (const spec of importsOf(file)) {
        const other = SERVICES.find((o) => o !== svc && (spec === `@orderflow/${o}` || spec.startsWith(`@orderflow/${o}/`) || spec.includes(`services/${o}`) || spec.includes(`../${o}/`)));
        if (other) violations.push(`${relative(ROOT, file)} imports ${spec}`);
        if (spec.startsWith('../') && resolve(file, '..', spec).startsWith(join(ROOT, 'services')) && !resolve(file, '..', spec).startsWith(join(ROOT, 'services', svc))) {
          violations.push(`${relative(ROOT, file)} reaches outside its service: ${spec}`);
        }
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('a service depends only on platform, contracts and libraries (its package.json says so)', () => {
  for (const svc of SERVICES) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'services', svc, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const internal = Object.keys(pkg.dependencies ?? {}).filter((d) => d.startsWith('@orderflow/'));
    assert.deepEqual(internal.filter((d) => d !== '@orderflow/platform' && d !== '@orderflow/contracts'), [], svc);
  }
});

test("a service's SQL names only its own tables", () => {
  // Each service's tables, from its own migrations; the platform's outbox/inbox/_migrations exist in every database.
  const tablesOf = new Map<string, string[]>();
  for (const svc of SERVICES) {
    const text = sourceFiles(join(ROOT, 'services', svc, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    tablesOf.set(svc, [...text.matchAll(/createTable\('([a-z_]+)'\)/g)].map((m) => m[1]!));
  }
  const violations: string[] = [];
  for (const svc of SERVICES) {
    for (const file of sourceFiles(join(ROOT, 'services', svc, 'src'))) {
      const text = readFileSync(file, 'utf8');
      const used = [...text.matchAll(/(?:selectFrom|insertInto|updateTable|deleteFrom|innerJoin|leftJoin)\('([a-z_]+)/g)].map((m) => m[1]!);
      for (const t of used) {
        const owner = [...tablesOf].find(([, ts]) => ts.includes(t))?.[0];
        if (owner && owner !== svc) violations.push(`${relative(ROOT, file)} touches ${owner}'s table ${t}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('each service gets its own database from the bootstrap: a SQLite file, or a PostgreSQL database and role', () => {
  const adapters = readFileSync(join(ROOT, 'packages/platform/src/runtime/adapters.ts'), 'utf8');
  assert.match(adapters, /`\$\{service\}\.db`/);
  assert.match(adapters, /const spec = \{ database: name, role: name \}/);
});

test('platform and contracts import no service', () => {
  const violations: string[] = [];
  for (const pkg of ['platform', 'contracts']) {
    for (const file of sourceFiles(join(ROOT, 'packages', pkg, 'src'))) {
      for (const spec of importsOf(file)) if (SERVICES.some((s) => spec === `@orderflow/${s}` || spec.includes('services/'))) violations.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  assert.deepEqual(violations, []);
});
