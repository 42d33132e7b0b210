// API parameters read with their schemas: the caller's typed error, with a message naming the parameter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  classNameSchema,
  exportFormatSchema,
  levelRectSchema,
  mppsSchema,
  nonEmptyStringSchema,
  optionalNumberSchema,
  paramsObjectSchema,
  readParam,
} from './api-params.js';

class InvalidArgument extends Error {}
const message = (schema: Parameters<typeof readParam>[0], value: unknown, name: string): string => {
  try {
    readParam(schema, value, name, (m) => new InvalidArgument(m));
  } catch (err) {
    assert.ok(err instanceof InvalidArgument);
    return err.message;
  }
  return 'accepted';
};

test('a failing parameter is named with its path', () => {
  assert.equal(message(levelRectSchema, { x: 0, y: 0, width: -1, height: 5 }, 'rect'), 'Parameter "rect.width" must be a positive number');
  assert.equal(message(levelRectSchema, { x: 0, y: 0, width: 1 }, 'rect'), 'Parameter "rect.height" is missing');
  assert.equal(message(levelRectSchema, 'big', 'rect'), 'Parameter "rect" must be a rectangle {x, y, width, height} in level-0 pixels');
  assert.equal(message(mppsSchema, [0.5, 0], 'mpps'), 'Parameter "mpps[1]" must be a positive number of µm/px');
  assert.equal(message(mppsSchema, [], 'mpps'), 'Parameter "mpps" must be a list of positive µm/px values');
  assert.equal(message(nonEmptyStringSchema, '', 'slideId'), 'Parameter "slideId" must be a non-empty string');
  assert.equal(message(classNameSchema, 'x'.repeat(81), 'className'), 'Parameter "className" must be a class name of 1–80 characters');
  assert.equal(message(optionalNumberSchema(0, 1), 2, 'threshold'), 'Parameter "threshold" must be a number from 0 to 1');
  assert.equal(message(exportFormatSchema, 'jpeg', 'format'), 'Parameter "format" must be one of png, tiff, geojson, csv, html');
  assert.equal(message(paramsObjectSchema, [], ''), 'Parameters must be an object');
});

test('the value read is clean: trimmed, only known fields, no prototype keys', () => {
  const rect = readParam(levelRectSchema, JSON.parse('{"x":1,"y":2,"width":3,"height":4,"__proto__":{"admin":true},"z":9}'), 'rect', Error);
  assert.deepEqual(rect, { x: 1, y: 2, width: 3, height: 4 });
  assert.equal(Object.getPrototypeOf(rect), Object.prototype);
  assert.equal(readParam(classNameSchema, '  Tumour ', 'className', Error), 'Tumour');
  assert.equal(readParam(optionalNumberSchema(0, 1), null, 'threshold', Error), null);
  assert.equal(readParam(exportFormatSchema, 'tif', 'format', Error), 'tiff');
});
