//! The screens a view names: an enum of stable ids for each wizard, serialised as its id and
//! comparable with a string (`view.state == "enter_code"`).

/// Declares a screen enum: each variant with its id.
macro_rules! screens {
    ($(#[$doc:meta])* $name:ident { $( $variant:ident => $id:literal, )* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $id, "`.")]
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl $name {
            /// Every screen, in declaration order.
            pub const ALL: &'static [$name] = &[ $( Self::$variant, )* ];

            /// The stable id, as views serialise it.
            pub const fn id(self) -> &'static str {
                match self { $( Self::$variant => $id, )* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.id() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.id() == *other
            }
        }
    };
}

pub(crate) use screens;

#[cfg(test)]
mod tests {
    use crate::registration::RegistrationScreen;
    use crate::reset::ResetScreen;

    #[test]
    fn screens_serialise_as_their_ids_and_compare_with_them() {
        for s in ResetScreen::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.id());
            assert_eq!(
                serde_json::from_value::<ResetScreen>(s.id().into()).unwrap(),
                *s
            );
            assert!(*s == s.id());
            assert_eq!(format!("{s}"), s.id());
        }
        for s in RegistrationScreen::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.id());
            assert!(*s == s.id());
        }
        assert!(ResetScreen::EnterCode != "choose_method");
        assert!(serde_json::from_value::<ResetScreen>("nope".into()).is_err());
    }
}
