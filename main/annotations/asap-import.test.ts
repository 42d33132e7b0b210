import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnnotationImportError } from './annotation-import-error.js';
import { importAsapXml } from './asap-import.js';

const xml = `<?xml version="1.0"?>
<ASAP_Annotations>
  <Annotations>
    <Annotation Name="Annotation 0" Type="Polygon" PartOfGroup="metastases" Color="#F4FA58">
      <Coordinates>
        <Coordinate Order="2" X="20.5" Y="20" />
        <Coordinate Order="0" X="0" Y="0" />
        <Coordinate Order="1" X="20.5" Y="0" />
      </Coordinates>
    </Annotation>
    <Annotation Name="Annotation 1" Type="Dot" PartOfGroup="None" Color="#F4FA58">
      <Coordinates><Coordinate Order="0" X="5" Y="6" /></Coordinates>
    </Annotation>
  </Annotations>
  <AnnotationGroups>
    <Group Name="metastases" PartOfGroup="None" Color="#ff0000"><Attributes /></Group>
  </AnnotationGroups>
</ASAP_Annotations>`;

test('ASAP XML: polygons ordered by @Order, groups become classes with their colours, dots become points', () => {
  const r = importAsapXml(xml);
  assert.equal(r.annotations.length, 2);
  assert.equal(r.annotations[0].className, 'metastases');
  assert.deepEqual(r.annotations[0].geometry, { type: 'polygon', rings: [[[0, 0], [20.5, 0], [20.5, 20]]] });
  assert.deepEqual(r.annotations[1].geometry, { type: 'point', x: 5, y: 6 });
  assert.equal(r.annotations[1].className, 'Unclassified');
  assert.deepEqual(r.classes.find((c) => c.name === 'metastases')!.colour, [255, 0, 0]);
});

test('ASAP XML: malformed input names the annotation and the problem', () => {
  const cases: [string, RegExp][] = [
    ['<a><b></a>', /ASAP XML document: not well-formed/],
    ['<Other/>', /no <ASAP_Annotations>/],
    [xml.replace('X="20.5" Y="20"', 'X="abc" Y="20"'), /Annotation 0 "Annotation 0": Coordinate 0 needs numeric/],
    [xml.replace('Type="Dot"', 'Type="Ellipse"'), /Annotation 1 "Annotation 1": unsupported Type "Ellipse"/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => importAsapXml(text), (err: unknown) => err instanceof AnnotationImportError && message.test(err.message), String(message));
  }
});
