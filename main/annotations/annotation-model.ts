// What an annotation is: a class name and a geometry in level-0 pixels of one slide.
// Lives in main/common/ so the renderer can share it (the import rule: renderer → contracts and common only).
export * from '../common/annotation-model.js';
