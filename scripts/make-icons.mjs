// Draws the studio's app icons (public/icon-*.png, public/icon.svg): a lantern-yellow disc on the
// studio's dark blue, written as plain PNGs with node:zlib so no image tool is needed.
// Run: node scripts/make-icons.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const BG = [0x1f, 0x2a, 0x44];
const FG = [0xf5, 0xb8, 0x2e];

function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A size×size RGB icon; `inset` keeps the disc inside the maskable safe zone (80% of the side). */
function png(size, inset) {
  const rows = [];
  const r = size * (inset ? 0.3 : 0.38);
  const c = size / 2;
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
      const col = d <= r ? FG : BG;
      row.set(col, 1 + x * 3);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

const hex = (rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
writeFileSync(new URL('../public/icon-192.png', import.meta.url), png(192, false));
writeFileSync(new URL('../public/icon-512.png', import.meta.url), png(512, false));
writeFileSync(new URL('../public/icon-maskable-512.png', import.meta.url), png(512, true));
writeFileSync(
  new URL('../public/icon.svg', import.meta.url),
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" fill="${hex(BG)}"/><circle cx="32" cy="32" r="24.3" fill="${hex(FG)}"/></svg>\n`,
);
