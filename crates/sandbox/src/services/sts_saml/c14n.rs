//! Exclusive XML Canonicalization 1.0 without comments
//! (`http://www.w3.org/2001/10/xml-exc-c14n#`), of one element's subtree, optionally
//! leaving out one descendant (the enveloped signature). Namespace declarations are
//! rendered where a prefix is visibly used (by the element or one of its attributes)
//! or is named in the `InclusiveNamespaces` prefix list, and not already rendered with
//! the same URI by an output ancestor; attributes are sorted by namespace URI, then
//! local name; text and attribute values are escaped as the recommendation says.

use std::collections::BTreeMap;

use super::xml::{Element, Node};

/// Canonicalizes `apex` and its subtree, leaving out `exclude` (compared by address)
/// and its subtree; `inclusive` is the `InclusiveNamespaces` prefix list
/// (`#default` for the default namespace).
pub fn canonicalize(apex: &Element, exclude: Option<&Element>, inclusive: &[String]) -> String {
    let mut out = String::new();
    let rendered: BTreeMap<Option<String>, String> = BTreeMap::new();
    element(&mut out, apex, exclude, inclusive, &rendered);
    out
}

fn element(
    out: &mut String,
    node: &Element,
    exclude: Option<&Element>,
    inclusive: &[String],
    rendered: &BTreeMap<Option<String>, String>,
) {
    // The namespaces this element must declare.
    let mut needed: BTreeMap<Option<String>, String> = BTreeMap::new();
    needed.insert(node.prefix.clone(), node.namespace.clone());
    for attribute in &node.attributes {
        if let Some(prefix) = &attribute.prefix
            && prefix != "xml"
        {
            needed.insert(Some(prefix.clone()), attribute.namespace.clone());
        }
    }
    for prefix in inclusive {
        let key = if prefix == "#default" {
            None
        } else {
            Some(prefix.clone())
        };
        if let Some(uri) = node.scope.get(&key) {
            needed.insert(key, uri.clone());
        }
    }
    let mut declarations: Vec<(Option<String>, String)> = Vec::new();
    let mut inner = rendered.clone();
    for (prefix, uri) in needed {
        if prefix.as_deref() == Some("xml") {
            continue;
        }
        let before = rendered.get(&prefix).map_or("", String::as_str);
        if before != uri {
            declarations.push((prefix.clone(), uri.clone()));
            inner.insert(prefix, uri);
        }
    }
    out.push('<');
    let name = qualified(node.prefix.as_deref(), &node.local);
    out.push_str(&name);
    // `None` sorts first: the default namespace declaration comes first.
    for (prefix, uri) in &declarations {
        match prefix {
            None => out.push_str(" xmlns=\""),
            Some(prefix) => {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("=\"");
            }
        }
        escape_attribute(out, uri);
        out.push('"');
    }
    let mut attributes: Vec<_> = node.attributes.iter().collect();
    attributes.sort_by(|a, b| (&a.namespace, &a.local).cmp(&(&b.namespace, &b.local)));
    for attribute in attributes {
        out.push(' ');
        out.push_str(&qualified(attribute.prefix.as_deref(), &attribute.local));
        out.push_str("=\"");
        escape_attribute(out, &attribute.value);
        out.push('"');
    }
    out.push('>');
    for child in &node.children {
        match child {
            Node::Text(text) => escape_text(out, text),
            Node::Element(child) => {
                if exclude.is_some_and(|skip| std::ptr::eq(skip, child)) {
                    continue;
                }
                element(out, child, exclude, inclusive, &inner);
            }
        }
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

fn qualified(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(prefix) => format!("{prefix}:{local}"),
        None => local.to_owned(),
    }
}

fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

fn escape_attribute(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonicalize;
    use crate::services::sts_saml::xml::parse;

    fn c14n(text: &str, inclusive: &[&str]) -> String {
        let inclusive: Vec<String> = inclusive.iter().map(|p| (*p).to_owned()).collect();
        parse(text).map_or_else(
            |e| format!("refused: {e}"),
            |root| canonicalize(&root, None, &inclusive),
        )
    }

    fn first_child(text: &str) -> String {
        parse(text)
            .ok()
            .and_then(|root| root.elements().next().map(|c| canonicalize(c, None, &[])))
            .unwrap_or_default()
    }

    #[test]
    fn renders_as_the_recommendation_says() {
        // Empty elements expanded, attributes sorted (no namespace first), quotes
        // normalized, declarations only where used, and the unused one dropped.
        assert_eq!(
            c14n(
                "<?xml version=\"1.0\"?>\n<!-- c --><e xmlns:u=\"urn:u\" xmlns:b=\"urn:b\" b:z='1' a=\"2\" u:a=\"3\"><f/></e>",
                &[]
            ),
            "<e xmlns:b=\"urn:b\" xmlns:u=\"urn:u\" a=\"2\" b:z=\"1\" u:a=\"3\"><f></f></e>"
        );
        // Text and attribute escaping.
        assert_eq!(
            c14n(
                "<e a=\"&lt;&amp;&quot;&#9;&#xA;&#xD;'>\">&lt;&gt;&amp;\"'&#xD;</e>",
                &[]
            ),
            "<e a=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;'>\">&lt;&gt;&amp;\"'&#xD;</e>"
        );
        // A subtree takes the declarations it uses from its ancestors, not the others.
        assert_eq!(
            first_child(
                "<p:r xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" xmlns=\"urn:d\"><p:c><d/></p:c></p:r>"
            ),
            "<p:c xmlns:p=\"urn:p\"><d xmlns=\"urn:d\"></d></p:c>"
        );
        // A declaration already rendered by an output ancestor is not repeated; an
        // undeclared default namespace under a declared one is rendered as empty.
        assert_eq!(
            c14n(
                "<r xmlns=\"urn:d\"><c xmlns=\"urn:d\"><g xmlns=\"\"/></c></r>",
                &[]
            ),
            "<r xmlns=\"urn:d\"><c><g xmlns=\"\"></g></c></r>"
        );
        // The inclusive prefix list renders a prefix used only in content.
        assert_eq!(
            c14n(
                "<r xmlns:xs=\"urn:xs\" xmlns:o=\"urn:o\">xs:string</r>",
                &["xs"]
            ),
            "<r xmlns:xs=\"urn:xs\">xs:string</r>"
        );
        // Line ends are normalized before anything else.
        assert_eq!(c14n("<r>a\r\nb\rc</r>", &[]), "<r>a\nb\nc</r>");
    }
}
