/** Files for the attachment tests: small real ones, and a multipart/form-data body as a browser sends it. */

/** A 3 × 2 PNG (red, green, blue over yellow, magenta, cyan), valid to its CRCs, so a browser draws it. */
export const PNG_3x2 = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000030000000208020000001216f14d0000001449444154789c63f8cfc0c000c1ffff3380e17f004ac908f82d315d640000000049454e44ae426082',
  'hex',
);

/** A multipart/form-data body as a browser's FormData sends it. */
export async function multipart(parts: { name: string; data: Buffer | string; filename?: string; type?: string }[]): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const part of parts) {
    if (part.filename === undefined) form.append(part.name, String(part.data));
    else form.append(part.name, new Blob([typeof part.data === 'string' ? part.data : new Uint8Array(part.data)], { type: part.type ?? 'application/octet-stream' }), part.filename);
  }
  const request = new Request('http://x/', { method: 'POST', body: form });
  return { payload: Buffer.from(await request.arrayBuffer()), headers: { 'content-type': request.headers.get('content-type')! } };
}
