#!/usr/bin/env python3
"""Lists Rust functions longer than a limit (default 100 lines) under the given paths and
exits 1 when there is one: the house rule "no function over 100 lines", checked by
scripts/test.sh. Brace matching skips strings, raw strings, chars and comments."""
import re, sys, pathlib

FN = re.compile(r'^\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?(extern\s+"C"\s+)?fn\s+(\w+)')

def strip(text):
    """Blanks out comments and literals, keeping newlines, so braces can be counted."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('//', i):
            j = text.find('\n', i); j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j
        elif text.startswith('/*', i):
            j = text.find('*/', i + 2); j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j])); i = j
        elif re.match(r'b?r#*"', text[i:i + 12]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == '_')):
            m = re.match(r'b?r(#*)"', text[i:]); hashes = m.group(1)
            end = text.find('"' + hashes, i + m.end()); end = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r'[^\n]', ' ', text[i:end])); i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == '\\' else 1
            out.append(re.sub(r'[^\n]', ' ', text[i:j + 1])); i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:i + 12]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:])
            out.append(' ' * m.end()); i += m.end()
        else:
            out.append(c); i += 1
    return ''.join(out)

def lengths(path):
    lines = strip(path.read_text()).split('\n')
    for k, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        depth, started = 0, False
        for j in range(k, len(lines)):
            if not started and ';' in lines[j] and '{' not in lines[j]:
                break  # a declaration without a body
            for ch in lines[j]:
                if ch == '{':
                    depth += 1; started = True
                elif ch == '}':
                    depth -= 1
            if started and depth == 0:
                yield m.group(7), k + 1, j - k + 1
                break

def main():
    args = sys.argv[1:]
    limit = 100
    if args and args[0].startswith('--limit='):
        limit = int(args.pop(0).split('=')[1])
    long = []
    for root in args or ['crates', 'src', 'tests']:
        for p in sorted(pathlib.Path(root).rglob('*.rs')):
            for name, line, count in lengths(p):
                if count > limit:
                    long.append((count, f'{p}:{line}', name))
    for count, where, name in sorted(long, reverse=True):
        print(f'{count:5} {where} {name}')
    sys.exit(1 if long else 0)

main()
