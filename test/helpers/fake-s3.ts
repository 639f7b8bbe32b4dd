/**
 * A small S3-compatible server for the storage tests: node:http on 127.0.0.1 (a free port), path-style
 * addressing (`/bucket/key`), objects in memory. It answers what @aws-sdk/client-s3 and lib-storage send for
 * Parley's files: PutObject, GetObject (404 NoSuchKey as S3's XML error), HeadObject, DeleteObject, and
 * multipart uploads (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload), with
 * the XML bodies of the S3 API reference. It checks that each request is signed with the expected access
 * key (not the signature itself), records every request, and fails on demand: an S3 `InternalError` 500, or
 * a connection dropped without an answer.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3Operation =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'Unknown';

export interface S3Request {
  operation: S3Operation;
  method: string;
  bucket: string;
  key: string;
  /** Bytes of the request's body. */
  bytes: number;
  /** The status answered, or 'dropped'. */
  answer: number | 'dropped';
}

export interface FakeS3 {
  /** PARLEY_S3_URL for this server: `http://KEY:SECRET@127.0.0.1:PORT/bucket[/prefix]`. */
  url(prefix?: string): string;
  readonly bucket: string;
  /** Stored objects by key (without the bucket). */
  readonly objects: Map<string, Buffer>;
  /** Multipart uploads begun and neither completed nor aborted, by upload id. */
  readonly uploads: Map<string, { key: string; parts: Map<number, Buffer> }>;
  readonly requests: S3Request[];
  /**
   * From now on, requests of `operation` ('*' = any) fail: `error` answers 500 InternalError (after reading
   * the body), `drop` destroys the connection without an answer. `times` of them, or until `heal()`.
   */
  fail(operation: S3Operation | '*', how: 'error' | 'drop', times?: number): void;
  heal(): void;
  close(): Promise<void>;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

function operationOf(method: string, query: URLSearchParams, key: string): S3Operation {
  if (key === '') return 'Unknown';
  if (method === 'POST' && query.has('uploads')) return 'CreateMultipartUpload';
  if (method === 'PUT' && query.has('uploadId') && query.has('partNumber')) return 'UploadPart';
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && query.has('uploadId')) return 'AbortMultipartUpload';
  if (method === 'PUT') return 'PutObject';
  if (method === 'GET') return 'GetObject';
  if (method === 'HEAD') return 'HeadObject';
  if (method === 'DELETE') return 'DeleteObject';
  return 'Unknown';
}

export async function startFakeS3(options: { bucket?: string; accessKeyId?: string; secretAccessKey?: string } = {}): Promise<FakeS3> {
  const bucket = options.bucket ?? 'parley-files';
  const accessKeyId = options.accessKeyId ?? 'TESTKEY';
  const secretAccessKey = options.secretAccessKey ?? 'test-secret';
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const requests: S3Request[] = [];
  let failure: { operation: S3Operation | '*'; how: 'error' | 'drop'; left: number } | null = null;

  function error(res: ServerResponse, status: number, code: string, message: string, key: string, head = false): void {
    const body = `${XML_HEAD}<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><Key>${escapeXml(key)}</Key><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(head ? undefined : body);
  }
  function xml(res: ServerResponse, body: string): void {
    const text = XML_HEAD + body;
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse, record: S3Request, query: URLSearchParams): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    record.bytes = body.length;
    const { operation, key } = record;

    if (failure && (failure.operation === '*' || failure.operation === operation) && failure.left > 0) {
      failure.left--;
      const how = failure.how;
      if (failure.left === 0) failure = null;
      if (how === 'drop') {
        record.answer = 'dropped';
        req.socket.destroy();
        return;
      }
      return error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', key);
    }
    // Signature V4: `Credential=KEY/date/region/s3/aws4_request`. The signature itself is not checked.
    const authorization = req.headers.authorization ?? '';
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !authorization.includes(`Credential=${accessKeyId}/`)) {
      return error(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', key);
    }
    if (record.bucket !== bucket) return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', key);

    switch (operation) {
      case 'PutObject': {
        objects.set(key, body);
        res.writeHead(200, { etag: `"${md5(body)}"`, 'content-length': 0 });
        return void res.end();
      }
      case 'GetObject':
      case 'HeadObject': {
        const object = objects.get(key);
        if (!object) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.', key, operation === 'HeadObject');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': object.length, etag: `"${md5(object)}"`, 'last-modified': new Date(0).toUTCString(), 'accept-ranges': 'bytes' });
        return void res.end(operation === 'HeadObject' ? undefined : object);
      }
      case 'DeleteObject': {
        objects.delete(key);
        res.writeHead(204);
        return void res.end();
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomBytes(12).toString('hex');
        uploads.set(uploadId, { key, parts: new Map() });
        return xml(res, `<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
      }
      case 'UploadPart': {
        const upload = uploads.get(query.get('uploadId')!);
        if (!upload || upload.key !== key) return error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.', key);
        const n = Number(query.get('partNumber'));
        if (!Number.isInteger(n) || n < 1 || n > 10_000) return error(res, 400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', key);
        upload.parts.set(n, body);
        res.writeHead(200, { etag: `"${md5(body)}"`, 'content-length': 0 });
        return void res.end();
      }
      case 'CompleteMultipartUpload': {
        const uploadId = query.get('uploadId')!;
        const upload = uploads.get(uploadId);
        if (!upload || upload.key !== key) return error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.', key);
        const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
          n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part!)?.[1]),
          etag: /<ETag>([^<]*)<\/ETag>/.exec(part!)?.[1]?.replace(/&quot;|&#34;/g, '"'),
        }));
        const data: Buffer[] = [];
        for (const [i, { n, etag }] of listed.entries()) {
          const stored = upload.parts.get(n);
          if (!stored || etag !== `"${md5(stored)}"`) return error(res, 400, 'InvalidPart', 'One or more of the specified parts could not be found.', key);
          if (i > 0 && n <= listed[i - 1]!.n) return error(res, 400, 'InvalidPartOrder', 'The list of parts was not in ascending order.', key);
          // Every part but the last must be at least 5 MB.
          if (i < listed.length - 1 && stored.length < 5 * 1024 * 1024) return error(res, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', key);
          data.push(stored);
        }
        if (listed.length === 0) return error(res, 400, 'MalformedXML', 'The XML you provided was not well-formed.', key);
        const object = Buffer.concat(data);
        objects.set(key, object);
        uploads.delete(uploadId);
        const etag = `"${md5(Buffer.from(listed.map((p) => md5(upload.parts.get(p.n)!)).join(''), 'hex'))}-${listed.length}"`;
        const location = `http://${req.headers.host}/${bucket}/${key}`;
        return xml(res, `<CompleteMultipartUploadResult xmlns="${NS}"><Location>${escapeXml(location)}</Location><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`);
      }
      case 'AbortMultipartUpload': {
        if (!uploads.delete(query.get('uploadId')!)) return error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.', key);
        res.writeHead(204);
        return void res.end();
      }
      default:
        return error(res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented.', key);
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-s3');
    const [first = '', ...rest] = url.pathname.split('/').slice(1);
    const key = rest.map((p) => decodeURIComponent(p)).join('/');
    const record: S3Request = { operation: operationOf(req.method ?? 'GET', url.searchParams, key), method: req.method ?? 'GET', bucket: decodeURIComponent(first), key, bytes: 0, answer: 0 };
    requests.push(record);
    res.once('finish', () => (record.answer = res.statusCode));
    handle(req, res, record, url.searchParams).catch(() => {
      record.answer = 'dropped';
      req.socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    bucket,
    objects,
    uploads,
    requests,
    url: (prefix = '') => `http://${encodeURIComponent(accessKeyId)}:${encodeURIComponent(secretAccessKey)}@127.0.0.1:${port}/${bucket}${prefix ? `/${prefix}` : ''}`,
    fail(operation, how, times = Infinity) {
      failure = { operation, how, left: times };
    },
    heal() {
      failure = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
