// Regenerates docs/errors.md from the error registries: npm run docs:errors
import { allRegistries } from '../test/error-registry.ts';
let out = `# Error codes\n\nEvery error orderflow returns or raises has a stable code from a registry in the package that owns it.\nAt the HTTP edge it becomes \`application/problem+json\` (RFC 9457): \`type\` is \`urn:orderflow:problem:<CODE>\`,\n\`code\` is the code, \`status\` the HTTP status, \`title\` the short text below, \`detail\` what happened.\n"Retryable" says whether the same request (or event) can succeed later; the broker dead-letters a\nnon-retryable handler error at once. A test (\`test/errors-doc.test.ts\`) keeps this page and the registries in step.\n`;
for (const [owner, specs] of allRegistries()) {
  out += `\n## ${owner}\n\n| code | status | retryable | meaning |\n| --- | --- | --- | --- |\n`;
  for (const [code, s] of Object.entries(specs)) out += `| \`${code}\` | ${s.status} | ${s.retryable ? 'yes' : 'no'} | ${s.title} |\n`;
}
process.stdout.write(out);
