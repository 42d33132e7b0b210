// Geometry of annotations in level-0 pixels: bounds, containment, area.
// Lives in main/common/ so the renderer can share it (the import rule: renderer → contracts and common only).
export * from '../common/geometry.js';
