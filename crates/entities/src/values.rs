//! The save hook of every entity: text a database would refuse is refused first, the same
//! way on SQLite and PostgreSQL (see `kernel::values`).

use sea_orm::{ActiveModelTrait, ActiveValue, DbErr, EntityName, EntityTrait, IdenStatic, Iterable, Value};

/// Columns whose request field has another name, for the message a client reads.
const FIELD_NAMES: &[(&str, &str, &str)] = &[("end_users", "session_id", "user")];

/// Checks every value `model` sets: no NUL in text or JSON, no `varchar(n)` column longer
/// than `n` characters (the limits come from the schema's DDL).
pub(crate) fn check<A: ActiveModelTrait>(model: A) -> Result<A, DbErr> {
    let table = A::Entity::default().table_name();
    for col in <A::Entity as EntityTrait>::Column::iter() {
        let ActiveValue::Set(value) = model.get(col) else { continue };
        let column = col.as_str();
        let field = || FIELD_NAMES.iter().find(|(t, c, _)| *t == table && *c == column).map_or(column, |(_, _, f)| *f);
        match value {
            Value::String(Some(text)) => {
                if text.contains('\0') {
                    return Err(kernel::values::refused(field(), "must not contain NUL characters."));
                }
                let limit = migration::column_limits().get(&(table.to_owned(), column.to_owned()));
                if let Some(limit) = limit
                    && text.chars().count() > *limit as usize
                {
                    return Err(kernel::values::refused(field(), &format!("must be at most {limit} characters.")));
                }
            }
            Value::Json(Some(json)) if kernel::values::json_has_nul(&json) => {
                return Err(kernel::values::refused(field(), "must not contain NUL characters."));
            }
            _ => {}
        }
    }
    Ok(model)
}

/// `impl ActiveModelBehavior` with the [`check`] save hook, for an entity module.
#[macro_export]
macro_rules! checked_saves {
    () => {
        #[sea_orm::prelude::async_trait::async_trait]
        impl ActiveModelBehavior for ActiveModel {
            async fn before_save<C>(self, _db: &C, _insert: bool) -> Result<Self, DbErr>
            where
                C: sea_orm::ConnectionTrait,
            {
                $crate::values::check(self)
            }
        }
    };
}
