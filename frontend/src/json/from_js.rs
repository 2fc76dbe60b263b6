//! A serde `Deserializer` over a value from the browser's `JSON.parse`, whose error carries no
//! message.
//!
//! Why not serde-wasm-bindgen's deserializer (the serializer of `json::encode` still is): its error
//! formats a message for every failure serde can report (the expected type's name, the list of known
//! fields, the unexpected value, floats included), and serde's derives build those messages inline at
//! every field of every message type. Treff never shows them: a message that does not decode is
//! dropped whole (`json::decode` returns an `Option`). With a message-free error the compiler drops
//! all of that code: the UI's wasm was 8.1 kB (brotli) smaller, and Rust's float formatting could go
//! too (README, "The UI a participant downloads").
//!
//! The input is JSON, so a value is one of null, a boolean, a number, a string, an array or an
//! object; anything else (`undefined`) fails the decode.

use std::fmt;

use js_sys::{Array, Object};
use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// A decode failed: the JSON is not the expected type. On purpose without a reason (module docs).
#[derive(Debug)]
pub struct Invalid;

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not the expected JSON")
    }
}

impl std::error::Error for Invalid {}

impl de::Error for Invalid {
    fn custom<T: fmt::Display>(_reason: T) -> Self {
        Invalid
    }
}

/// Decodes a `T` from a parsed JSON value.
pub fn from_value<T: de::DeserializeOwned>(value: JsValue) -> Result<T, Invalid> {
    T::deserialize(Value(value))
}

/// One JSON value being decoded.
struct Value(JsValue);

/// Above this a JS number is no longer an exact integer (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl<'de> Deserializer<'de> for Value {
    type Error = Invalid;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        let value = self.0;
        if value.is_null() {
            visitor.visit_unit()
        } else if let Some(b) = value.as_bool() {
            visitor.visit_bool(b)
        } else if let Some(n) = value.as_f64() {
            // Integers as integers, so that serde's integer visitors (ids, sizes, times) take them
            // with their own range checks; the `as` casts are exact inside the safe range.
            if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(&n) {
                visitor.visit_u64(n as u64)
            } else if n.fract() == 0.0 && (-MAX_SAFE_INTEGER..0.0).contains(&n) {
                visitor.visit_i64(n as i64)
            } else {
                visitor.visit_f64(n)
            }
        } else if let Some(s) = value.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&value) {
            visitor.visit_seq(Elements::new(value.unchecked_into()))
        } else if value.is_object() {
            let entries = Object::entries(value.unchecked_ref());
            visitor.visit_map(Entries {
                entries: Elements::new(entries),
                value: None,
            })
        } else {
            Err(Invalid)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        visitor.visit_newtype_struct(self)
    }

    /// `"Name"` for a unit variant, `{"Name": payload}` for the others: serde's externally tagged
    /// form, which `json::decode_tagged` makes of the wire's internally tagged messages.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        if self.0.is_string() {
            return visitor.visit_enum(Variant {
                tag: self.0,
                payload: None,
            });
        }
        if !self.0.is_object() {
            return Err(Invalid);
        }
        let entries = Object::entries(self.0.unchecked_ref());
        if entries.length() != 1 {
            return Err(Invalid);
        }
        let entry: Array = entries.get(0).unchecked_into();
        visitor.visit_enum(Variant {
            tag: entry.get(0),
            payload: Some(entry.get(1)),
        })
    }

    /// Skipped fields need no decoding at all.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Invalid> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// The elements of a JS array, in order.
struct Elements {
    array: Array,
    next: u32,
}

impl Elements {
    fn new(array: Array) -> Self {
        Self { array, next: 0 }
    }

    fn next(&mut self) -> Option<JsValue> {
        (self.next < self.array.length()).then(|| {
            self.next += 1;
            self.array.get(self.next - 1)
        })
    }
}

impl<'de> de::SeqAccess<'de> for Elements {
    type Error = Invalid;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Invalid> {
        self.next().map(|v| seed.deserialize(Value(v))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.array.length() - self.next) as usize)
    }
}

/// The `[key, value]` pairs of a JS object (`Object.entries`): the fields of a struct.
struct Entries {
    entries: Elements,
    /// The value of the key just handed out.
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Invalid;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Invalid> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        let entry: Array = entry.unchecked_into();
        self.value = Some(entry.get(1));
        seed.deserialize(Value(entry.get(0))).map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Invalid> {
        seed.deserialize(Value(self.value.take().ok_or(Invalid)?))
    }

    fn size_hint(&self) -> Option<usize> {
        de::SeqAccess::size_hint(&self.entries)
    }
}

/// An enum variant: its name, and its payload unless it is a unit variant given as a bare string.
struct Variant {
    tag: JsValue,
    payload: Option<JsValue>,
}

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = Invalid;
    type Variant = Payload;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Payload), Invalid> {
        let tag = seed.deserialize(Value(self.tag))?;
        Ok((tag, Payload(self.payload)))
    }
}

/// What follows a variant's name.
struct Payload(Option<JsValue>);

impl Payload {
    fn value(self) -> Result<Value, Invalid> {
        self.0.map(Value).ok_or(Invalid)
    }
}

impl<'de> de::VariantAccess<'de> for Payload {
    type Error = Invalid;

    /// A unit variant is a bare string; `{"Name": null}` is accepted too, as serde_json does.
    fn unit_variant(self) -> Result<(), Invalid> {
        match self.0 {
            None => Ok(()),
            Some(value) if value.is_null() => Ok(()),
            Some(_) => Err(Invalid),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Invalid> {
        seed.deserialize(self.value()?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Invalid> {
        self.value()?.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Invalid> {
        self.value()?.deserialize_any(visitor)
    }
}
