//! The kinds of model a provider offers, named as Dify's API names them (an enum of the
//! `model_type` columns, so it lives with the entities).

pub use entities::kinds::ModelType;
