//! JSON Schemas and the AsyncAPI document, generated from the contract types. (STUB.)
