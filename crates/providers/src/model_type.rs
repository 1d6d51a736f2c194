//! The kinds of model a provider offers, named as Dify's API names them.

use std::str::FromStr;

/// A model kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ModelType {
    #[serde(rename = "text-generation")]
    TextGeneration,
    #[serde(rename = "embeddings")]
    Embeddings,
    #[serde(rename = "speech2text")]
    Speech2Text,
    #[serde(rename = "moderation")]
    Moderation,
}

impl ModelType {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelType::TextGeneration => "text-generation",
            ModelType::Embeddings => "embeddings",
            ModelType::Speech2Text => "speech2text",
            ModelType::Moderation => "moderation",
        }
    }
}

impl FromStr for ModelType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "text-generation" => Ok(ModelType::TextGeneration),
            "embeddings" => Ok(ModelType::Embeddings),
            "speech2text" => Ok(ModelType::Speech2Text),
            "moderation" => Ok(ModelType::Moderation),
            _ => Err(()),
        }
    }
}
