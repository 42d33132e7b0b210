// Annotation classes: the presets every slide starts with, and user-defined additions.
// Lives in main/common/ so the renderer can share it (the import rule: renderer → contracts and common only).
export * from '../common/annotation-classes.js';
