#!/usr/bin/env node
// Runs every graph test_onnx_export wrote (DESCENT_ONNX_TEST_OUTPUT=DIR: <name>.onnx, its inputs
// <name>.input<k>.npy and descent's outputs <name>.output<k>.npy, at another batch size than the
// export's example) in onnxruntime (the npm package onnxruntime-node, CPU) and compares the outputs:
// relative difference max|ort - descent| / max(max|descent|, 1e-30) at most 1e-5 in float32 and 1e-12
// in float64. Prints one line per graph; exits 1 if any differs or fails to run.
//   node tests/onnx/compare_with_onnxruntime.js DIR
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  console.log('onnxruntime: SKIPPED: the npm package onnxruntime-node is not installed ' +
              '(ONNXRUNTIME_NODE_INSTALL=skip npm ci --prefix tests/onnx)');
  process.exit(0);
}

// A .npy file (format 1.0/2.0, little-endian, C order) as {dtype, shape, data}.
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLength;
  const header = bytes.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const body = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + bytes.length);
  const kinds = {
    '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array],
    '<i8': ['int64', BigInt64Array], '|b1': ['bool', Uint8Array],
  };
  if (!kinds[descr]) throw new Error(`${file}: dtype ${descr} not handled`);
  const [dtype, Type] = kinds[descr];
  return {dtype, shape, data: new Type(body)};
}

function relativeDifference(actual, expected) {
  let diff = 0, scale = 1e-30;
  for (let i = 0; i < expected.length; ++i) {
    const e = Number(expected[i]), a = Number(actual[i]);
    if (Number.isNaN(a) !== Number.isNaN(e)) return Infinity;
    if (!Number.isNaN(e)) diff = Math.max(diff, Math.abs(a - e));
    scale = Math.max(scale, Math.abs(e));
  }
  return diff / scale;
}

async function compare(dir, name) {
  const session = await ort.InferenceSession.create(path.join(dir, `${name}.onnx`));
  const feeds = {};
  session.inputNames.forEach((input, k) => {
    const t = readNpy(path.join(dir, `${name}.input${k}.npy`));
    feeds[input] = new ort.Tensor(t.dtype, t.data, t.shape);
  });
  const results = await session.run(feeds);
  let worst = 0, tolerance = 0;
  session.outputNames.forEach((output, k) => {
    const expected = readNpy(path.join(dir, `${name}.output${k}.npy`));
    const actual = results[output];
    if (actual.dims.join(',') !== expected.shape.join(','))
      throw new Error(`output ${output}: shape (${actual.dims}) against descent's (${expected.shape})`);
    tolerance = Math.max(tolerance, expected.dtype === 'float64' ? 1e-12 : 1e-5);
    worst = Math.max(worst, relativeDifference(actual.data, expected.data));
  });
  return {worst, tolerance, outputs: session.outputNames.length};
}

(async () => {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: compare_with_onnxruntime.js DIR');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).sort();
  if (names.length === 0) throw new Error(`${dir}: no .onnx files`);
  let failures = 0;
  for (const name of names) {
    try {
      const {worst, tolerance, outputs} = await compare(dir, name);
      const ok = worst <= tolerance;
      failures += ok ? 0 : 1;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${outputs} output(s), relative difference ` +
                  `${worst.toExponential(2)} (at most ${tolerance})`);
    } catch (e) {
      failures += 1;
      console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    }
  }
  console.log(`onnxruntime ${require('onnxruntime-node/package.json').version}: ` +
              `${names.length - failures} of ${names.length} graphs match descent`);
  process.exit(failures ? 1 : 0);
})().catch((e) => {
  console.log(`onnxruntime: ERROR: ${e.message}`);
  process.exit(1);
});
