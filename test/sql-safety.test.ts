import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

const roots = [...readdirSync(join(ROOT, 'services')).map((s) => join(ROOT, 'services', s, 'src')), ...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'src'))];
const files = roots.flatMap(sourceFiles);

/** Ways to build SQL from a value instead of binding it as a parameter. */
const UNSAFE: Array<[string, RegExp]> = [
  ['sql.raw / sql.lit splice text into SQL', /\bsql\.(raw|lit)\s*\(/],
  ['a prepared statement built with ${...}', /\.(prepare|exec)\(\s*`[^`]*\$\{/],
  ['a prepared statement built by concatenation', /\.(prepare|exec)\(\s*(['"`])[^'"`]*\2\s*\+/],
  ['a sql`` template with an interpolated string that is not a sql.ref/sql.id', /sql`[^`]*\$\{(?!\s*sql\.(ref|id|table)\()[^}]*\}[^`]*`\.execute/],
];

test('SQL is built only through the query builder with bound parameters', () => {
  assert.ok(files.length > 40, 'the scan sees the source');
  const found: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    for (const [why, re] of UNSAFE) if (re.test(text)) found.push(`${relative(ROOT, f)}: ${why}`);
  }
  assert.deepEqual(found, []);
});

test('services never reach the SQLite driver directly: only through the Database port', () => {
  const direct = files
    .filter((f) => relative(ROOT, f).startsWith('services/'))
    .filter((f) => /from ['"]better-sqlite3['"]|from ['"]pg['"]|\.prepare\(/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(direct, []);
});

test('the scan would catch a spliced query', () => {
  const bad = "db.prepare(`select * from orders where id = '${id}'`)";
  assert.ok(UNSAFE.some(([, re]) => re.test(bad)));
  assert.ok(UNSAFE.some(([, re]) => re.test('sql.raw(userInput)')));
});
