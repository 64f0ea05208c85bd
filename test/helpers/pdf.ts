/** A one-page PDF whose page text is a /FlateDecode stream, as most PDFs keep it: made here, with zlib, so no tool is needed. */
import { deflateSync } from 'node:zlib';

export function flatePdf(text: string): Buffer {
  const content = deflateSync(Buffer.from(`BT /F1 12 Tf 72 712 Td (${text}) Tj ET`, 'latin1'));
  const objects = [
    Buffer.from('1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'),
    Buffer.from('2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n'),
    Buffer.from('3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\nendobj\n'),
    Buffer.concat([Buffer.from(`4 0 obj\n<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`), content, Buffer.from('\nendstream\nendobj\n')]),
    Buffer.from('5 0 obj\n<< /Length 8 /Filter /DCTDecode >>\nstream\n\xff\xd8\xff\xe0\x00\x10JF\nendstream\nendobj\n', 'latin1'),
  ];
  return Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'), ...objects, Buffer.from('trailer\n<< /Root 1 0 R >>\n%%EOF\n')]);
}
