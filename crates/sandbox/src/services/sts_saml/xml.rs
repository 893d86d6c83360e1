//! A small, bounded XML tree for SAML responses: elements with their namespaces
//! resolved, attributes (values normalized as XML 1.0 says), text, and the namespace
//! declarations in scope at each element, which exclusive canonicalization needs.
//! What a SAML response never needs is refused rather than half read: a document type
//! declaration (so no entity is ever expanded), processing instructions inside the root,
//! entities other than XML's five, more than [`MAX_DEPTH`] levels or [`MAX_NODES`] nodes.
//! Comments are dropped (canonical XML without comments drops them too).

use std::collections::BTreeMap;
use std::rc::Rc;

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// How deep elements may nest.
pub const MAX_DEPTH: usize = 64;
/// How many elements and text nodes a document may have.
pub const MAX_NODES: usize = 20_000;

/// The namespace of `xml:` attributes, bound without a declaration.
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// Namespace prefixes in scope (`None`: the default namespace) to their URIs.
pub type Scope = BTreeMap<Option<String>, String>;

/// An attribute that is not a namespace declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub prefix: Option<String>,
    pub local: String,
    /// The namespace URI; empty for an attribute without a prefix.
    pub namespace: String,
    pub value: String,
}

/// An element.
#[derive(Debug, Clone)]
pub struct Element {
    pub prefix: Option<String>,
    pub local: String,
    /// The namespace URI; empty when the element is in no namespace.
    pub namespace: String,
    pub attributes: Vec<Attribute>,
    /// The namespaces in scope here (declarations on this element included).
    pub scope: Rc<Scope>,
    pub children: Vec<Node>,
}

/// A child of an element.
#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    /// The value of the attribute named `local` in no namespace.
    pub fn attribute(&self, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.namespace.is_empty() && a.local == local)
            .map(|a| a.value.as_str())
    }

    /// Whether this element is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace == namespace && self.local == local
    }

    /// The child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    /// The child elements named `{namespace}local`.
    pub fn children_named<'a>(
        &'a self,
        namespace: &'a str,
        local: &'a str,
    ) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.is(namespace, local))
    }

    /// The only child element named `{namespace}local`, if there is exactly one.
    pub fn only_child(&self, namespace: &str, local: &str) -> Option<&Element> {
        let mut found = self.elements().filter(|e| e.is(namespace, local));
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The element's text (its text children, concatenated).
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|node| match node {
                Node::Text(text) => Some(text.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }

    /// Every element of this subtree, this one first, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut all = vec![self];
        let mut index = 0;
        while index < all.len() {
            let element = all[index];
            index += 1;
            all.extend(element.elements());
        }
        all
    }
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse(why: impl Into<String>) -> XmlError {
    XmlError(why.into())
}

/// `prefix:local` split.
fn split(name: &[u8]) -> Result<(Option<String>, String), XmlError> {
    let text = std::str::from_utf8(name).map_err(|_| refuse("a name is not UTF-8"))?;
    Ok(match text.split_once(':') {
        Some((prefix, local)) => (Some(prefix.to_owned()), local.to_owned()),
        None => (None, text.to_owned()),
    })
}

/// The text of a predefined entity or a character reference.
fn entity(name: &str) -> Result<String, XmlError> {
    let resolved = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| name.strip_prefix('#').map(str::parse))
                .ok_or_else(|| refuse(format!("the entity `&{name};` is not XML's own")))?
                .map_err(|_| refuse(format!("`&{name};` is not a character reference")))?;
            char::from_u32(number)
                .filter(|c| *c != '\0')
                .ok_or_else(|| refuse(format!("`&{name};` is not a character")))?
        }
    };
    Ok(resolved.to_string())
}

/// Opens an element: resolves its namespaces against `parent`'s scope.
fn open(start: &BytesStart<'_>, parent: &Rc<Scope>) -> Result<Element, XmlError> {
    let mut declared: Vec<(Option<String>, String)> = Vec::new();
    let mut plain: Vec<(Option<String>, String, String)> = Vec::new();
    for attribute in start.attributes().with_checks(true) {
        let attribute =
            attribute.map_err(|e| refuse(format!("an attribute is malformed ({e})")))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| refuse(format!("an attribute value is malformed ({e})")))?
            .into_owned();
        let (prefix, local) = split(attribute.key.as_ref())?;
        match (prefix.as_deref(), local.as_str()) {
            (None, "xmlns") => declared.push((None, value)),
            (Some("xmlns"), name) => {
                if value.is_empty() {
                    return Err(refuse(format!("the prefix `{name}` is undeclared")));
                }
                declared.push((Some(name.to_owned()), value));
            }
            _ => plain.push((prefix, local, value)),
        }
    }
    let scope = if declared.is_empty() {
        Rc::clone(parent)
    } else {
        let mut scope = (**parent).clone();
        for (prefix, uri) in declared {
            if uri.is_empty() {
                scope.remove(&prefix);
            } else {
                scope.insert(prefix, uri);
            }
        }
        Rc::new(scope)
    };
    let resolve = |prefix: &Option<String>| -> Result<String, XmlError> {
        match prefix.as_deref() {
            Some("xml") => Ok(XML_NAMESPACE.to_owned()),
            Some(name) => scope
                .get(prefix)
                .cloned()
                .ok_or_else(|| refuse(format!("the prefix `{name}` is not declared"))),
            None => Ok(String::new()),
        }
    };
    let (prefix, local) = split(start.name().as_ref())?;
    let namespace = match &prefix {
        Some(_) => resolve(&prefix)?,
        None => scope.get(&None).cloned().unwrap_or_default(),
    };
    let mut attributes = Vec::with_capacity(plain.len());
    for (prefix, local, value) in plain {
        let namespace = resolve(&prefix)?;
        if attributes
            .iter()
            .any(|a: &Attribute| a.namespace == namespace && a.local == local)
        {
            return Err(refuse(format!("the attribute `{local}` is repeated")));
        }
        attributes.push(Attribute {
            prefix,
            local,
            namespace,
            value,
        });
    }
    Ok(Element {
        prefix,
        local,
        namespace,
        attributes,
        scope,
        children: Vec::new(),
    })
}

/// Reads `text` into its root element. Line ends are normalized first, as an XML
/// processor does.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().expand_empty_elements = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut nodes = 0_usize;
    let empty = Rc::new(Scope::new());
    loop {
        let event = reader
            .read_event()
            .map_err(|e| refuse(format!("it is not well-formed XML ({e})")))?;
        let text_child = |stack: &mut Vec<Element>, piece: String| {
            if let Some(parent) = stack.last_mut() {
                if let Some(Node::Text(kept)) = parent.children.last_mut() {
                    kept.push_str(&piece);
                } else {
                    parent.children.push(Node::Text(piece));
                }
                Ok(())
            } else if piece.trim().is_empty() {
                Ok(())
            } else {
                Err(refuse("there is text outside the root element"))
            }
        };
        match event {
            Event::Eof => break,
            Event::DocType(_) => return Err(refuse("a document type declaration is not allowed")),
            Event::Start(start) => {
                nodes += 1;
                if nodes > MAX_NODES {
                    return Err(refuse(format!("it has more than {MAX_NODES} nodes")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(refuse(format!("it nests deeper than {MAX_DEPTH} elements")));
                }
                if root.is_some() && stack.is_empty() {
                    return Err(refuse("it has more than one root element"));
                }
                let scope = stack.last().map_or(&empty, |parent| &parent.scope);
                let element = open(&start, scope)?;
                stack.push(element);
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(refuse("an element is closed that was not opened"));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(done)),
                    None => root = Some(done),
                }
            }
            Event::Empty(_) => return Err(refuse("an empty element was not expanded")),
            Event::Text(piece) => {
                let piece = piece
                    .decode()
                    .map_err(|e| refuse(format!("text is not UTF-8 ({e})")))?
                    .into_owned();
                nodes += 1;
                text_child(&mut stack, piece)?;
            }
            Event::CData(piece) => {
                let piece = piece
                    .decode()
                    .map_err(|e| refuse(format!("text is not UTF-8 ({e})")))?
                    .into_owned();
                nodes += 1;
                text_child(&mut stack, piece)?;
            }
            Event::GeneralRef(reference) => {
                let name = reference
                    .decode()
                    .map_err(|e| refuse(format!("a reference is not UTF-8 ({e})")))?;
                text_child(&mut stack, entity(&name)?)?;
            }
            Event::PI(_) if !stack.is_empty() => {
                return Err(refuse(
                    "a processing instruction inside the document is not allowed",
                ));
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
        if nodes > MAX_NODES {
            return Err(refuse(format!("it has more than {MAX_NODES} nodes")));
        }
    }
    if !stack.is_empty() {
        return Err(refuse("an element is not closed"));
    }
    root.ok_or_else(|| refuse("it has no root element"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn resolves_namespaces_and_entities() {
        let root = parse(
            "<a:r xmlns:a=\"urn:a\" xmlns=\"urn:d\" k=\"1&#xA;2\n3\"><b>x &amp; &#65;<![CDATA[<y>]]></b></a:r>",
        )
        .map_err(|e| e.0);
        let root = root.as_ref().map_err(Clone::clone);
        let Ok(root) = root else {
            panic!("parse failed: {root:?}");
        };
        assert!(root.is("urn:a", "r"));
        assert_eq!(root.attribute("k"), Some("1\n2 3"));
        let child = root
            .elements()
            .next()
            .map(|b| (b.namespace.clone(), b.text()));
        assert_eq!(child, Some(("urn:d".to_owned(), "x & A<y>".to_owned())));
    }

    #[test]
    fn refuses_what_it_cannot_read_safely() {
        for (text, why) in [
            (
                "<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>",
                "document type",
            ),
            ("<r>&e;</r>", "not XML's own"),
            ("<p:r/>", "not declared"),
            ("<r><?pi x?></r>", "processing instruction"),
            ("<r></r><r></r>", "more than one root"),
            ("<r>", "not closed"),
            ("<r a=\"1\" a=\"2\"/>", "malformed"),
        ] {
            let error = parse(text).map(|_| ()).map_err(|e| e.0);
            assert!(
                matches!(&error, Err(message) if message.contains(why)),
                "{text}: {error:?}"
            );
        }
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert!(parse(&deep).is_err());
    }
}
