//! The recursive-descent parser, with GitHub's precedence (highest first): grouping,
//! `[]` and `.`, `!`, `< <= > >=`, `== !=`, `&&`, `||`. Functions are checked here, as
//! GitHub does: an unknown function or a wrong number of arguments is a syntax error, and
//! so is nesting deeper than [`MAX_DEPTH`] (see [`Parser::height`]).

use super::ast::{BinOp, Expr, ExprKind, Id, Node};
use super::error::ExprError;
use super::functions::lookup;
use super::lexer::{lex, Tok, Token};

/// How deep expressions may nest; GitHub stops at 50 ("Exceeded max expression depth 50"),
/// deeper input must not overflow the stack.
pub const MAX_DEPTH: usize = 50;

fn too_deep(span: std::ops::Range<usize>) -> ExprError {
    ExprError::new(
        span,
        format!(
            "the expression nests deeper than {MAX_DEPTH} levels \
             (GitHub: Exceeded max expression depth {MAX_DEPTH})"
        ),
    )
}

/// Parses the text inside `${{ }}` (or a bare `if:` condition).
pub fn parse_expr(src: &str) -> Result<Expr, ExprError> {
    let tokens = lex(src)?;
    if tokens.is_empty() {
        // GitHub refuses `${{ }}` too: "An expression was expected".
        return Err(ExprError::new(
            0..src.len(),
            "empty expression (GitHub: An expression was expected): \
             write a value, a context or a function call",
        ));
    }
    // Every level of depth takes at least one token: an expression of at most MAX_DEPTH
    // tokens cannot be too deep, and most are far shorter, so heights are only kept for
    // longer ones (keeping them for all cost ~3% of `gantry validate`).
    let measure = tokens.len() > MAX_DEPTH;
    let mut p = Parser {
        src,
        nodes: Vec::with_capacity(tokens.len()),
        heights: Vec::with_capacity(if measure { tokens.len() } else { 0 }),
        measure,
        tokens,
        pos: 0,
        depth: 0,
        args: Vec::new(),
        arg_stack: Vec::new(),
    };
    p.or()?;
    if let Some(t) = p.tokens.get(p.pos) {
        return Err(ExprError::new(t.span.clone(), format!("unexpected {} after a complete expression; expected an operator such as `==` or `&&`", describe(&t.tok))));
    }
    Ok(Expr {
        nodes: p.nodes,
        args: p.args,
    })
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token<'a>>,
    pos: usize,
    depth: usize,
    /// The tree being built; every parsing function pushes its node and returns its index.
    nodes: Vec<Node>,
    /// Each node's height as GitHub counts depth (see [`Parser::height`]), when `measure`.
    heights: Vec<u8>,
    /// Whether the expression has enough tokens to be too deep.
    measure: bool,
    /// Call arguments, each call's contiguous (see [`Expr`]).
    args: Vec<Id>,
    /// Arguments of the calls being parsed, moved to `args` when their call closes.
    arg_stack: Vec<Id>,
}

fn describe(t: &Tok<'_>) -> String {
    match t {
        Tok::Null => "`null`".into(),
        Tok::Bool(b) => format!("`{b}`"),
        Tok::Number(n) => format!("number `{}`", super::value::format_number(*n)),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Ident(i) => format!("`{i}`"),
        Tok::Star => "`*`".into(),
        Tok::Dot => "`.`".into(),
        Tok::Comma => "`,`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Not => "`!`".into(),
        Tok::Lt => "`<`".into(),
        Tok::Le => "`<=`".into(),
        Tok::Gt => "`>`".into(),
        Tok::Ge => "`>=`".into(),
        Tok::Eq => "`==`".into(),
        Tok::Ne => "`!=`".into(),
        Tok::And => "`&&`".into(),
        Tok::Or => "`||`".into(),
    }
}

/// A context name in lower case, without allocating when it is short (as they all are).
fn lowercase(name: &str) -> super::ast::Name {
    let mut n = super::ast::Name::from(name);
    n.make_ascii_lowercase();
    n
}

/// A binary operator token's operator and precedence (higher binds tighter).
fn binary_op(t: &Tok<'_>) -> Option<(BinOp, u8)> {
    Some(match t {
        Tok::Or => (BinOp::Or, 1),
        Tok::And => (BinOp::And, 2),
        Tok::Eq => (BinOp::Eq, 3),
        Tok::Ne => (BinOp::Ne, 3),
        Tok::Lt => (BinOp::Lt, 4),
        Tok::Le => (BinOp::Le, 4),
        Tok::Gt => (BinOp::Gt, 4),
        Tok::Ge => (BinOp::Ge, 4),
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    /// The current token, moved out (it is consumed, so its text need not be copied).
    fn take(&mut self) -> Option<Token<'a>> {
        let t = self.tokens.get_mut(self.pos)?;
        Some(Token {
            tok: std::mem::replace(&mut t.tok, Tok::Comma),
            span: t.span.clone(),
        })
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    /// Adds a node; an error when it makes the tree deeper than GitHub allows.
    #[inline]
    fn push(&mut self, kind: ExprKind, span: std::ops::Range<usize>) -> Result<Id, ExprError> {
        if !self.measure {
            self.nodes.push(Node { kind, span });
            return Ok((self.nodes.len() - 1) as Id);
        }
        self.push_measured(kind, span)
    }

    /// [`Parser::push`] for an expression long enough to be too deep.
    #[inline(never)]
    fn push_measured(
        &mut self,
        kind: ExprKind,
        span: std::ops::Range<usize>,
    ) -> Result<Id, ExprError> {
        let height = self.height(&kind);
        if height > MAX_DEPTH {
            return Err(too_deep(span));
        }
        self.nodes.push(Node { kind, span });
        self.heights.push(height as u8);
        Ok((self.nodes.len() - 1) as Id)
    }

    /// A node's height, GitHub's measure of depth (the runner's `CheckMaxDepth` counts the
    /// nodes from the root down to each leaf): one more than its highest child. A literal or
    /// context is 1; every `!`, `.name`, `[index]`, `.*`/`[*]`, operator and call adds a
    /// level. A run of `&&` (or of `||`) is one node, as GitHub flattens it; a parenthesised
    /// group adds a level too, as in GitHub's language service (see [`Parser::group`]).
    fn height(&self, kind: &ExprKind) -> usize {
        let h = |id: Id| usize::from(self.heights[id as usize]);
        // A child that continues the same `&&`/`||` run shares its parent's level.
        let operand = |op: BinOp, id: Id| match self.nodes[id as usize].kind {
            ExprKind::Binary(o, ..) if o == op && matches!(op, BinOp::And | BinOp::Or) => h(id) - 1,
            _ => h(id),
        };
        1 + match kind {
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Context(_) => 0,
            ExprKind::Property(b, _) | ExprKind::Filter(b) | ExprKind::Not(b) => h(*b),
            ExprKind::Index(b, k) => h(*b).max(h(*k)),
            ExprKind::Binary(op, a, b) => operand(*op, *a).max(operand(*op, *b)),
            ExprKind::Call { args, .. } => self.args[args.start as usize..args.end as usize]
                .iter()
                .map(|&a| h(a))
                .max()
                .unwrap_or(0),
        }
    }

    /// A parenthesised group is its inner node, spanning the parentheses, one level higher.
    fn group(&mut self, inner: Id, span: std::ops::Range<usize>) -> Result<Id, ExprError> {
        if !self.measure {
            self.nodes[inner as usize].span = span;
            return Ok(inner);
        }
        let height = usize::from(self.heights[inner as usize]) + 1;
        if height > MAX_DEPTH {
            return Err(too_deep(span));
        }
        self.heights[inner as usize] = height as u8;
        self.nodes[inner as usize].span = span;
        Ok(inner)
    }

    fn span_of(&self, id: Id) -> std::ops::Range<usize> {
        self.nodes[id as usize].span.clone()
    }

    fn end_span(&self) -> std::ops::Range<usize> {
        self.src.len()..self.src.len()
    }

    /// Before recursing into `!`, `(`, `[` or a call: each of those adds a level to the
    /// tree too, so this stops input that is too deep before it can overflow the stack.
    fn enter(&mut self, at: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(too_deep(at..at + 1));
        }
        Ok(())
    }

    /// Binary operators by precedence climbing: one loop for every level instead of one
    /// function per level, so a lone operand does not descend through four calls.
    /// Operators of one level associate to the left.
    fn binary(&mut self, min: u8) -> Result<Id, ExprError> {
        let mut left = self.unary()?;
        while let Some((op, prec)) = self.peek().and_then(binary_op) {
            if prec < min {
                break;
            }
            self.pos += 1;
            if self.pos >= self.tokens.len() {
                return Err(ExprError::new(
                    self.end_span(),
                    "the expression ends after an operator; expected a value",
                ));
            }
            let right = self.binary(prec + 1)?;
            let span = self.span_of(left).start..self.span_of(right).end;
            left = self.push(ExprKind::Binary(op, left, right), span)?;
        }
        Ok(left)
    }

    /// A whole expression: `||` binds loosest.
    fn or(&mut self) -> Result<Id, ExprError> {
        self.binary(1)
    }

    fn unary(&mut self) -> Result<Id, ExprError> {
        if let Some(Token {
            tok: Tok::Not,
            span,
        }) = self
            .tokens
            .get(self.pos)
            .filter(|t| t.tok == Tok::Not)
            .cloned()
        {
            self.pos += 1;
            self.enter(span.start)?;
            let inner = self.unary()?;
            self.depth -= 1;
            let s = span.start..self.span_of(inner).end;
            return self.push(ExprKind::Not(inner), s);
        }
        self.postfix()
    }

    fn expect(&mut self, want: Tok<'a>, what: &str, opened: usize) -> Result<usize, ExprError> {
        match self.tokens.get(self.pos) {
            Some(t) if t.tok == want => {
                self.pos += 1;
                Ok(t.span.end)
            }
            Some(t) => Err(ExprError::new(
                t.span.clone(),
                format!(
                    "expected {what} to close the one opened at column {}, found {}",
                    opened + 1,
                    describe(&t.tok)
                ),
            )),
            None => Err(ExprError::new(
                self.end_span(),
                format!(
                    "the expression ends before {what} closes the one opened at column {}",
                    opened + 1
                ),
            )),
        }
    }

    fn postfix(&mut self) -> Result<Id, ExprError> {
        let mut e = self.primary()?;
        self.no_index_on_literal(e)?;
        loop {
            match self.peek() {
                Some(Tok::Dot) => e = self.after_dot(e)?,
                Some(Tok::LBracket) => {
                    let open = self.tokens[self.pos].span.start;
                    self.pos += 1;
                    if self.peek() == Some(&Tok::Star) {
                        self.pos += 1;
                        let end = self.expect(Tok::RBracket, "`]`", open)?;
                        let s = self.span_of(e).start..end;
                        e = self.push(ExprKind::Filter(e), s)?;
                        continue;
                    }
                    self.enter(open)?;
                    let index = self.or()?;
                    self.depth -= 1;
                    let end = self.expect(Tok::RBracket, "`]`", open)?;
                    let s = self.span_of(e).start..end;
                    e = self.push(ExprKind::Index(e, index), s)?;
                }
                _ => return Ok(e),
            }
        }
    }

    /// `1.x`, `'a'[0]`: a literal cannot be indexed.
    fn no_index_on_literal(&self, e: Id) -> Result<(), ExprError> {
        let literal = matches!(
            self.nodes[e as usize].kind,
            ExprKind::Null | ExprKind::Bool(_) | ExprKind::Number(_) | ExprKind::Str(_)
        );
        if literal {
            if let Some(t) = self
                .tokens
                .get(self.pos)
                .filter(|t| matches!(t.tok, Tok::Dot | Tok::LBracket))
            {
                return Err(ExprError::new(
                    t.span.clone(),
                    format!(
                        "a literal cannot be indexed: unexpected {} after it",
                        describe(&t.tok)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// What follows a `.` after `e`: a property (the lexer makes every word after a `.` a
    /// name: `a.true`, `a.NaN`) or `*`.
    fn after_dot(&mut self, e: Id) -> Result<Id, ExprError> {
        let dot = self.tokens[self.pos].span.clone();
        self.pos += 1;
        let next = match self.peek() {
            Some(Tok::Ident(_) | Tok::Star) => self.take(),
            _ => self.tokens.get(self.pos).cloned(),
        };
        match next {
            Some(Token {
                tok: Tok::Ident(name),
                span,
            }) => {
                self.pos += 1;
                let s = self.span_of(e).start..span.end;
                self.push(ExprKind::Property(e, name.into()), s)
            }
            Some(Token {
                tok: Tok::Star,
                span,
            }) => {
                self.pos += 1;
                let s = self.span_of(e).start..span.end;
                self.push(ExprKind::Filter(e), s)
            }
            Some(t) => Err(ExprError::new(
                t.span.clone(),
                format!(
                    "expected a property name or `*` after `.`, found {}",
                    describe(&t.tok)
                ),
            )),
            None => Err(ExprError::new(
                dot,
                "expected a property name or `*` after `.`",
            )),
        }
    }

    fn primary(&mut self) -> Result<Id, ExprError> {
        let Some(Token { tok, span }) = self.take() else {
            return Err(ExprError::new(
                self.end_span(),
                "the expression ends where a value was expected",
            ));
        };
        self.pos += 1;
        let kind = match tok {
            Tok::Null => ExprKind::Null,
            Tok::Bool(b) => ExprKind::Bool(b),
            Tok::Number(n) => ExprKind::Number(n),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::LParen => {
                self.enter(span.start)?;
                let inner = self.or()?;
                self.depth -= 1;
                let end = self.expect(Tok::RParen, "`)`", span.start)?;
                return self.group(inner, span.start..end);
            }
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::LParen) {
                    return self.call(name, span);
                }
                ExprKind::Context(lowercase(name))
            }
            other => {
                return Err(ExprError::new(
                    span,
                    format!(
                        "unexpected {}; expected a value, a context or a function call",
                        describe(&other)
                    ),
                ))
            }
        };
        self.push(kind, span)
    }

    fn call(&mut self, name: &str, name_span: std::ops::Range<usize>) -> Result<Id, ExprError> {
        let Some(f) = lookup(name) else {
            return Err(ExprError::new(name_span, format!("unknown function `{name}`; GitHub's functions are contains, startsWith, endsWith, format, join, toJSON, fromJSON, hashFiles, case, success, always, failure, cancelled")));
        };
        let open = self.tokens[self.pos].span.start;
        self.pos += 1;
        self.enter(open)?;
        let base = self.arg_stack.len();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
        } else {
            loop {
                let arg = self.or()?;
                self.arg_stack.push(arg);
                match self.tokens.get(self.pos) {
                    Some(Token { tok: Tok::Comma, .. }) => self.pos += 1,
                    Some(Token { tok: Tok::RParen, .. }) => {
                        self.pos += 1;
                        break;
                    }
                    Some(t) => return Err(ExprError::new(t.span.clone(), format!("expected `,` or `)` in the call to `{}` opened at column {}, found {}", f.name, open + 1, describe(&t.tok)))),
                    None => return Err(ExprError::new(self.end_span(), format!("the expression ends before `)` closes the call to `{}` opened at column {}", f.name, open + 1))),
                }
            }
        }
        self.depth -= 1;
        let end = self.tokens[self.pos - 1].span.end;
        if let Err(e) = f.check_arity(self.arg_stack.len() - base) {
            return Err(ExprError::new(name_span, e.to_string()));
        }
        let first = self.args.len() as Id;
        self.args.extend(self.arg_stack.drain(base..));
        let args = first..self.args.len() as Id;
        let span = name_span.start..end;
        self.push(
            ExprKind::Call {
                name: f.name,
                name_span,
                args,
            },
            span,
        )
    }
}
