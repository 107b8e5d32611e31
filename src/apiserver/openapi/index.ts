// Serves /openapi/v3: the index of group/version documents and the documents themselves,
// built lazily and cached until invalidated. Each document URL carries a content hash so
// kubectl's URL-keyed cache picks up changes.
import { createHash } from 'node:crypto';
import type { ResourceStrategy } from '../../api/types.js';
import { buildOpenAPI, type CustomKind } from './build.js';

export { buildOpenAPI, customSchemaName, type CustomKind, type JSONObject, type OpenAPIDocuments } from './build.js';
export { parseTypeDocs, typeDoc, type TypeDoc } from './descriptions.js';

export interface OpenAPIDocument {
  body: Buffer;
  /** Quoted strong ETag (the content hash). */
  etag: string;
  hash: string;
}

interface Built {
  index: { paths: Record<string, { serverRelativeURL: string }> };
  docs: Map<string, OpenAPIDocument>;
}

export class OpenAPIService {
  private built: Built | undefined;
  private readonly custom = new Map<string, CustomKind[]>();

  /** `resources`: the built-in kinds served, read again on every rebuild. */
  constructor(private readonly resources: () => ResourceStrategy[]) {}

  /** Replace the custom kinds (e.g. from CRDs) of one group/version; an empty list removes them. */
  addSchemas(group: string, version: string, kinds: CustomKind[]): void {
    const key = `${group}/${version}`;
    if (kinds.length) this.custom.set(key, kinds);
    else this.custom.delete(key);
    this.invalidate();
  }

  /** Drop cached documents; the next request rebuilds them (with new hashes if content changed). */
  invalidate(): void {
    this.built = undefined;
  }

  /** The body of GET /openapi/v3. */
  index(): { paths: Record<string, { serverRelativeURL: string }> } {
    return this.build().index;
  }

  /** The document at "api/v1", "apis/apps/v1" or "/openapi/v3/apis/apps/v1?hash=..."; undefined if not served. */
  document(path: string): OpenAPIDocument | undefined {
    const key = path.replace(/\?.*$/, '').replace(/^\/?(openapi\/v3\/)?/, '').replace(/\/$/, '');
    return this.build().docs.get(key);
  }

  private build(): Built {
    if (this.built) return this.built;
    const { documents } = buildOpenAPI(this.resources(), [...this.custom.values()].flat());
    const docs = new Map<string, OpenAPIDocument>();
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [key, doc] of [...documents].sort(([a], [b]) => a.localeCompare(b))) {
      const body = Buffer.from(JSON.stringify(doc));
      const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
      docs.set(key, { body, hash, etag: `"${hash}"` });
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
    this.built = { index: { paths }, docs };
    return this.built;
  }
}
