import { describe, expect, it } from 'vitest';
import { type Key, LineEditor } from './editor.js';

const type = (editor: LineEditor, text: string) => {
  for (const char of text) editor.handle(char, { name: char, sequence: char });
};
const key = (name: string, extra: Partial<Key> = {}): Key => ({ name, ...extra });

describe('LineEditor', () => {
  it('types, moves and deletes', () => {
    const editor = new LineEditor();
    type(editor, 'helo');
    editor.handle(undefined, key('left'));
    type(editor, 'l');
    expect(editor.value).toBe('hello');
    editor.handle(undefined, key('home'));
    editor.handle(undefined, key('delete'));
    expect(editor.value).toBe('ello');
    editor.handle(undefined, key('end'));
    editor.handle(undefined, key('backspace'));
    expect(editor.value).toBe('ell');
  });

  it('edits by words and lines like a shell', () => {
    const editor = new LineEditor();
    type(editor, 'see you at eight');
    editor.handle('\u0017', key('w', { ctrl: true }));
    expect(editor.value).toBe('see you at ');
    editor.handle(undefined, key('b', { meta: true }));
    editor.handle('\u000b', key('k', { ctrl: true }));
    expect(editor.value).toBe('see you ');
    editor.handle('\u0015', key('u', { ctrl: true }));
    expect(editor.value).toBe('');
  });

  it('submits a line, clears it, and recalls it with Up', () => {
    const editor = new LineEditor();
    type(editor, 'first');
    expect(editor.handle('\r', key('return'))).toEqual({ type: 'submit', text: 'first' });
    expect(editor.value).toBe('');
    type(editor, 'draft');
    editor.handle(undefined, key('up'));
    expect(editor.value).toBe('first');
    editor.handle(undefined, key('down'));
    expect(editor.value).toBe('draft');
  });

  it('does not send an empty line', () => {
    const editor = new LineEditor();
    type(editor, '   ');
    expect(editor.handle('\r', key('return'))).toEqual({ type: 'none' });
  });

  it('keeps line breaks of a bracketed paste in the message', () => {
    const editor = new LineEditor();
    editor.handle(undefined, key('paste-start'));
    type(editor, 'line one');
    expect(editor.handle('\n', key('enter'))).toEqual({ type: 'changed' });
    type(editor, 'line two');
    editor.handle(undefined, key('paste-end'));
    expect(editor.handle('\r', key('return'))).toEqual({ type: 'submit', text: 'line one\nline two' });
  });

  it('quits on Ctrl-C, and on Ctrl-D only when empty', () => {
    const editor = new LineEditor();
    expect(editor.handle('\u0003', key('c', { ctrl: true }))).toEqual({ type: 'quit' });
    type(editor, 'ab');
    editor.handle(undefined, key('home'));
    expect(editor.handle('\u0004', key('d', { ctrl: true }))).toEqual({ type: 'changed' });
    expect(editor.value).toBe('b');
  });

  it('turns PgUp/PgDn into scrolling and ignores unknown control input', () => {
    const editor = new LineEditor();
    expect(editor.handle(undefined, key('pageup'))).toEqual({ type: 'scroll', direction: 'up' });
    expect(editor.handle(undefined, key('pagedown'))).toEqual({ type: 'scroll', direction: 'down' });
    expect(editor.handle('\x1b[99~', { sequence: '\x1b[99~' })).toEqual({ type: 'none' });
    expect(editor.value).toBe('');
  });

  it('treats a grapheme as one character', () => {
    const editor = new LineEditor();
    type(editor, 'ok');
    editor.handle('👍🏽', { sequence: '👍🏽' });
    editor.handle(undefined, key('backspace'));
    expect(editor.value).toBe('ok');
  });

  it('scrolls its view sideways to keep the cursor visible', () => {
    const editor = new LineEditor();
    type(editor, 'abcdefghijklmnopqrstuvwxyz');
    const end = editor.view(10);
    expect(end.text).toBe('rstuvwxyz');
    expect(end.cursorColumn).toBe(9);
    editor.handle(undefined, key('home'));
    expect(editor.view(10)).toEqual({ text: 'abcdefghij', cursorColumn: 0 });
    editor.value = 'two\nlines';
    expect(editor.view(20).text).toBe('two↵lines');
  });
});
