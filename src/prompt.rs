//! Questions on a terminal, with dialoguer. The library decides what to ask; this module only
//! asks. Used only when stdin and stderr are terminals and `--no-input` is off.

use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, MultiSelect, Password, Select};

use crate::answers::{self, Answer, Prompter};
use crate::catalog::{Entry, Maturity};
use crate::manifest::{Question, QuestionType};

/// Asks on the terminal; with `take_defaults` (`--defaults`) only questions without a default.
pub(crate) struct TerminalPrompter {
    theme: ColorfulTheme,
    take_defaults: bool,
}

impl TerminalPrompter {
    /// A prompter on stderr's terminal.
    pub(crate) fn new(take_defaults: bool) -> Self {
        Self { theme: ColorfulTheme::default(), take_defaults }
    }
}

impl Prompter for TerminalPrompter {
    fn ask(&mut self, name: &str, q: &Question, default: Option<Answer>) -> Result<Answer, answers::AnswerError> {
        self.ask_terminal(name, q, default).map_err(|e| match e {
            Asked::Answer(e) => e,
            Asked::Terminal(e) => answers::AnswerError::Prompt(e.to_string()),
        })
    }
}

/// Why a terminal question got no answer.
enum Asked {
    Answer(answers::AnswerError),
    Terminal(dialoguer::Error),
}

impl From<answers::AnswerError> for Asked {
    fn from(e: answers::AnswerError) -> Self {
        Self::Answer(e)
    }
}

impl From<dialoguer::Error> for Asked {
    fn from(e: dialoguer::Error) -> Self {
        Self::Terminal(e)
    }
}

impl TerminalPrompter {
    fn ask_terminal(&mut self, name: &str, q: &Question, default: Option<Answer>) -> Result<Answer, Asked> {
        if self.take_defaults
            && let Some(d) = default
        {
            return Ok(d);
        }
        let prompt = q.prompt(name).to_string();
        let answer = match q.kind {
            QuestionType::String if q.secret => {
                let name = name.to_string();
                let q2 = q.clone();
                let text = Password::with_theme(&self.theme)
                    .with_prompt(prompt)
                    .allow_empty_password(default.is_some())
                    .validate_with(move |s: &String| check_text(&name, &q2, s))
                    .interact()?;
                if text.is_empty() { default.unwrap_or(Answer::Str(text)) } else { Answer::Str(text) }
            }
            QuestionType::String | QuestionType::Int => {
                let mut input = Input::<String>::with_theme(&self.theme).with_prompt(prompt);
                if let Some(d) = &default {
                    input = input.default(d.to_string());
                }
                let (n, q2) = (name.to_string(), q.clone());
                let text = input
                    .allow_empty(default.is_some())
                    .validate_with(move |s: &String| check_text(&n, &q2, s))
                    .interact_text()?;
                answers::parse_text(name, q, &text)?
            }
            QuestionType::Bool => {
                let d = matches!(default, Some(Answer::Bool(true)));
                Answer::Bool(Confirm::with_theme(&self.theme).with_prompt(prompt).default(d).interact()?)
            }
            QuestionType::Choice => {
                let pos = match &default {
                    Some(Answer::Str(s)) => q.choices.iter().position(|c| c == s).unwrap_or(0),
                    _ => 0,
                };
                let i =
                    Select::with_theme(&self.theme).with_prompt(prompt).items(&q.choices).default(pos).interact()?;
                Answer::Str(q.choices[i].clone())
            }
            QuestionType::Multichoice => {
                let checked: Vec<bool> = match &default {
                    Some(Answer::List(items)) => q.choices.iter().map(|c| items.contains(c)).collect(),
                    _ => vec![false; q.choices.len()],
                };
                let picked = MultiSelect::with_theme(&self.theme)
                    .with_prompt(format!("{prompt} (space to toggle, enter to accept)"))
                    .items(&q.choices)
                    .defaults(&checked)
                    .interact()?;
                Answer::List(picked.into_iter().map(|i| q.choices[i].clone()).collect())
            }
        };
        Ok(answer)
    }
}

/// The validator shown under a prompt: the rule the answer breaks, and the prompt asks again.
fn check_text(name: &str, q: &Question, text: &str) -> std::result::Result<(), String> {
    if text.is_empty() {
        return Ok(()); // empty takes the default, which was checked with the template
    }
    answers::parse_text(name, q, text).map(|_| ()).map_err(|e| match e {
        answers::AnswerError::Invalid { rule, .. } => format!("rule: {rule}"),
        other => other.to_string(),
    })
}

/// Lets the user pick a template; retired ones are not offered.
pub(crate) fn pick_template(entries: &[&Entry]) -> Result<usize, dialoguer::Error> {
    let width = entries.iter().map(|e| e.name.chars().count()).max().unwrap_or(0);
    let dw = entries.iter().map(|e| e.description.chars().count()).max().unwrap_or(0).min(56);
    let items: Vec<String> = entries
        .iter()
        .map(|e| {
            let latest = e.latest.as_ref().map(ToString::to_string).unwrap_or_default();
            let mut desc: String = e.description.chars().take(dw).collect();
            if e.description.chars().count() > dw {
                desc.pop();
                desc.push('…');
            }
            format!("{:width$}  {:12}  {desc:dw$}  {latest}", e.name, e.maturity.to_string())
        })
        .collect();
    let default = entries.iter().position(|e| e.maturity == Maturity::Stable).unwrap_or(0);
    Select::with_theme(&ColorfulTheme::default()).with_prompt("Golden path").items(&items).default(default).interact()
}

/// Asks for a yes; the default is no.
pub(crate) fn confirm(prompt: &str) -> Result<bool, dialoguer::Error> {
    Confirm::with_theme(&ColorfulTheme::default()).with_prompt(prompt).default(false).interact()
}
