// Spatial index over a slide's annotations (R-tree, rbush) for viewport queries and hit-testing.
// Lives in main/common/ so the renderer can share it (the import rule: renderer → contracts and common only).
export * from '../common/annotation-index.js';
