"""The stable ids sspr speaks in, as ``typing.Literal`` types.

Results name screens, options, methods and refusals by id (``view.state == "enter_code"``,
``result.rejection == "code.mismatch"``); these types let a type checker catch a misspelt id
and let a ``match`` on one be checked for completeness. The ids never change spelling.
``sspr.REASONS``, ``sspr.RESET_STATES`` and the like list the ids the native module knows, for
checking a translation catalogue; the test suite checks that these types and those lists, and
the Rust core's own lists, agree. (Each is written as a union of one-value literals, the same
type as ``Literal["a", "b"]``, so that it is a ``Union`` at run time too.)
"""
from typing import Literal, TypeAlias

__all__ = [
    "BreachStatus",
    "Channel",
    "FeedbackId",
    "MessageKind",
    "Method",
    "PortErrorKind",
    "PortName",
    "Reason",
    "RegistrationState",
    "ResetOption",
    "ResetState",
    "Via",
]

Reason: TypeAlias = (
    Literal["captcha.failed"]
    | Literal["code.mismatch"]
    | Literal["code.expired"]
    | Literal["code.exhausted"]
    | Literal["answers.wrong"]
    | Literal["push.denied"]
    | Literal["push.number_mismatch"]
    | Literal["option.unavailable"]
    | Literal["send.cooldown"]
    | Literal["user.blocked"]
    | Literal["user.locked"]
    | Literal["user.unknown"]
    | Literal["user.not_enabled"]
    | Literal["user.not_registered"]
    | Literal["flow.expired"]
    | Literal["flow.invalid_step"]
    | Literal["reauth.failed"]
    | Literal["registration.incomplete"]
    | Literal["method.invalid"]
    | Literal["proof.required"]
    | Literal["access_pass.invalid"]
    | Literal["notice.invalid"]
    | Literal["snooze.unavailable"]
    | Literal["password.too_short"]
    | Literal["password.too_long"]
    | Literal["password.too_few_classes"]
    | Literal["password.banned"]
    | Literal["password.too_guessable"]
    | Literal["password.reused"]
    | Literal["password.mismatch"]
    | Literal["password.breached"]
    | Literal["password.change_pending"]
    | Literal["password.refused"]
    | Literal["totp.malformed"]
    | Literal["totp.invalid"]
    | Literal["totp.replay"]
)
"""Why a step was refused: ``ResetResult.rejection``, ``PasswordVerdict.reasons``, ..."""

ResetState: TypeAlias = (
    Literal["choose_method"]
    | Literal["confirm_number"]
    | Literal["enter_code"]
    | Literal["answer_questions"]
    | Literal["await_approval"]
    | Literal["new_password"]
    | Literal["setting_password"]
    | Literal["completed"]
    | Literal["unlocked"]
    | Literal["blocked"]
    | Literal["expired"]
    | Literal["cancelled"]
)
"""The screen of a reset: ``ResetView.state``."""

RegistrationState: TypeAlias = (
    Literal["prove_identity"]
    | Literal["proving"]
    | Literal["registering"]
    | Literal["reconfirm"]
    | Literal["verifying"]
    | Literal["done"]
    | Literal["expired"]
    | Literal["cancelled"]
)
"""The screen of the "keep your account secure" wizard: ``RegistrationView.state``."""

Method: TypeAlias = (
    Literal["email"]
    | Literal["mobile_phone"]
    | Literal["office_phone"]
    | Literal["app_code"]
    | Literal["app_notification"]
    | Literal["security_questions"]
    | Literal["recovery_codes"]
)
"""A method a policy enables and a user registers (policy documents use these names)."""

ResetOption: TypeAlias = (
    Literal["email"]
    | Literal["mobile_text"]
    | Literal["mobile_call"]
    | Literal["office_call"]
    | Literal["app_code"]
    | Literal["app_notification"]
    | Literal["security_questions"]
    | Literal["recovery_code"]
)
"""A choice on the "choose a contact method" screen: ``Engine.choose``, ``Engine.prove``."""

Channel: TypeAlias = (
    Literal["email"]
    | Literal["sms"]
    | Literal["voice"]
    | Literal["push"]
)
"""How a message travels: ``Message.channel``."""

MessageKind: TypeAlias = (
    Literal["code"]
    | Literal["approval_request"]
    | Literal["password_changed"]
    | Literal["admin_password_changed"]
    | Literal["security_info_changed"]
)
"""What a message says: ``Message.kind`` (the host picks its template by kind)."""

PortName: TypeAlias = (
    Literal["clock"]
    | Literal["randomness"]
    | Literal["directory"]
    | Literal["security_info_store"]
    | Literal["flow_store"]
    | Literal["counter_store"]
    | Literal["consume_once"]
    | Literal["notifier"]
    | Literal["captcha"]
    | Literal["breach_checker"]
    | Literal["audit"]
)
"""Which port failed: ``PortError.port``."""

PortErrorKind: TypeAlias = (
    Literal["unavailable"]
    | Literal["conflict"]
    | Literal["rejected"]
    | Literal["contract"]
)
"""How a port failed: ``PortError.kind``."""

FeedbackId: TypeAlias = (
    Literal["strength.warning.straight_rows"]
    | Literal["strength.warning.short_keyboard_patterns"]
    | Literal["strength.warning.repeated_characters"]
    | Literal["strength.warning.repeated_groups"]
    | Literal["strength.warning.top10_password"]
    | Literal["strength.warning.top100_password"]
    | Literal["strength.warning.common_password"]
    | Literal["strength.warning.similar_to_common_password"]
    | Literal["strength.warning.sequences"]
    | Literal["strength.warning.recent_years"]
    | Literal["strength.warning.single_word"]
    | Literal["strength.warning.dates"]
    | Literal["strength.warning.names_by_themselves"]
    | Literal["strength.warning.common_names"]
    | Literal["strength.suggestion.use_a_few_words"]
    | Literal["strength.suggestion.no_need_for_symbols"]
    | Literal["strength.suggestion.add_another_word"]
    | Literal["strength.suggestion.capitalization_helps_little"]
    | Literal["strength.suggestion.all_uppercase_helps_little"]
    | Literal["strength.suggestion.reversed_words_help_little"]
    | Literal["strength.suggestion.predictable_substitutions"]
    | Literal["strength.suggestion.longer_keyboard_pattern"]
    | Literal["strength.suggestion.avoid_repeats"]
    | Literal["strength.suggestion.avoid_sequences"]
    | Literal["strength.suggestion.avoid_recent_years"]
    | Literal["strength.suggestion.avoid_personal_years"]
    | Literal["strength.suggestion.avoid_personal_dates"]
    | Literal["password.suggestion.avoid_banned_terms"]
    | Literal["password.suggestion.use_more_characters"]
    | Literal["password.suggestion.mix_character_kinds"]
    | Literal["password.suggestion.choose_a_new_password"]
    | Literal["password.suggestion.choose_an_unbreached_password"]
)
"""Password feedback: ``PasswordVerdict.warning`` and ``.suggestions``."""

BreachStatus: TypeAlias = (
    Literal["not_checked"]
    | Literal["clean"]
    | Literal["breached"]
    | Literal["unavailable"]
)
"""What the breached-password check found: ``PasswordVerdict.breach``."""

Via: TypeAlias = (
    Literal["text"]
    | Literal["call"]
)
"""How a mobile phone is verified: ``Engine.register_mobile``."""
