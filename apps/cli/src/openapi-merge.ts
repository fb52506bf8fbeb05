import { createServer, type Server } from 'node:http';

type Doc = { openapi?: string; info?: unknown; paths?: Record<string, unknown>; components?: { schemas?: Record<string, unknown> } } & Record<string, unknown>;

/** One OpenAPI document from several: the first one's header, every one's paths and schemas. */
export function mergeOpenApi(docs: readonly Doc[]): Doc {
  const [first] = docs;
  if (!first) throw new Error('no OpenAPI document to merge');
  const out: Doc = { ...first, paths: {}, components: { ...(first.components ?? {}), schemas: {} } };
  for (const d of docs) {
    Object.assign(out.paths!, d.paths ?? {});
    Object.assign(out.components!.schemas!, d.components?.schemas ?? {});
  }
  return out;
}

/**
 * Serves `/openapi.json` for the cluster's entry: each service instance documents only its own
 * routes, so the entry's document is merged from one live instance of each (`upstreams` lists,
 * per service, the ports to try in turn). Listens on a free loopback port.
 */
export async function startOpenApiServer(upstreams: readonly (readonly number[])[]): Promise<{ port: number; server: Server }> {
  const fetchOne = async (ports: readonly number[]): Promise<Doc> => {
    for (const p of ports) {
      try {
        const r = await fetch(`http://127.0.0.1:${p}/openapi.json`, { signal: AbortSignal.timeout(2_000) });
        if (r.ok) return (await r.json()) as Doc;
      } catch {
        // that instance is down: try the next
      }
    }
    throw new Error('no instance of a service answered');
  };
  const server = createServer((req, res) => {
    void Promise.all(upstreams.map(fetchOne)).then(
      (docs) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(mergeOpenApi(docs)));
      },
      () => {
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'A service is not answering' }));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : 0, server };
}
