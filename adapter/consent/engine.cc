#include "adapter/consent/engine.h"

#include <algorithm>
#include <array>
#include <set>

#include "adapter/fhir/datetime.h"
#include "adapter/norway/identifier.h"

namespace adapter::consent {
namespace {

namespace chr = std::chrono;
using fhir::IssueType;
using fhir::JsonValue;

constexpr std::array kRules = {
    Rule{"undecidable", Verdict::deny,
         "the request lacks what a rule needs (the patient's age, a known relationship, "
         "purpose or category), or a directive cannot be read",
         "hpl § 21: what cannot be shown to be allowed is not disclosed"},
    Rule{"general-information", Verdict::permit,
         "purpose general-information: services, routines, contact details, rights, "
         "relatives' services",
         "hpl § 21 protects patient-specific information only"},
    Rule{"minor-child-information-needs", Verdict::general_information_only,
         "the recipient is the patient's child or sibling under 18: their information needs "
         "are assessed (a Task), never met by disclosure",
         "hpl § 10a"},
    Rule{"statutory-notice", Verdict::permit,
         "purpose statutory-notice to a municipal service (admission, ready for discharge): "
         "minimal content, no consent needed",
         "hol § 11-4; forskrift om kommunal betaling for utskrivningsklare pasienter §§ 8-9"},
    Rule{"parental-responsibility-information", Verdict::permit,
         "patient under 18, recipient has parental responsibility, purpose "
         "parental-responsibility-need (e.g. suicide risk)",
         "pbrl § 3-4; the patient is told what was disclosed (pbrl § 3-6)"},
    Rule{"weighty-considerations", Verdict::general_information_only,
         "patient under 16, recipient has parental responsibility, and weighty "
         "considerations for the child apply (or NORN_FORANS)",
         "pbrl § 3-4"},
    Rule{"minor-refusal", Verdict::general_information_only,
         "patient aged 12-15 refused information to the parents for reasons that should be "
         "respected, and the request is within the refusal",
         "pbrl § 3-4"},
    Rule{"parents-under-16", Verdict::permit,
         "patient under 16, recipient has parental responsibility", "pbrl § 3-4; pbrl § 1-3 b"},
    Rule{"consent-deny-relative", Verdict::general_information_only,
         "a directive in force denies this to the relative (nested denials win)",
         "pbrl § 3-3; hpl § 22"},
    Rule{"consent-deny-agency", Verdict::deny, "a directive in force denies this to the agency",
         "hpl § 21; hpl § 22"},
    Rule{"treatment-interruption-notice", Verdict::permit,
         "purpose notify-treatment-interruption and a directive in force permits it",
         "pbrl § 3-3; hpl § 22; pakkeforløp: the nearest relative is told only with consent"},
    Rule{"consent-permit", Verdict::permit,
         "a directive in force permits this recipient, purpose and every category",
         "pbrl § 3-3; hpl § 22"},
    Rule{"treatment-interruption-without-consent", Verdict::general_information_only,
         "purpose notify-treatment-interruption without a permit",
         "pbrl § 3-3; pakkeforløp: the nearest relative is told only with consent"},
    Rule{"parents-16-17", Verdict::general_information_only,
         "patient 16 or 17, parent without a permit: only what parental responsibility "
         "needs (rule parental-responsibility-information)",
         "pbrl § 3-4; pbrl § 3-3"},
    Rule{"no-consent-relative", Verdict::general_information_only, "relative without a permit",
         "pbrl § 3-3; hpl § 21"},
    Rule{"no-consent-agency", Verdict::deny, "agency without a permit", "hpl § 21; hpl § 22"},
};

constexpr std::array<std::string_view, 14> kPurposes = {
    "involve-in-treatment",
    "crisis-plan-participation",
    "individual-plan-participation",
    "responsibility-group-participation",
    "notify-treatment-interruption",
    "share-referral",
    "share-treatment-plan",
    "share-epicrisis",
    "collect-earlier-information",
    "cooperate-with-agencies",
    "inform-minor-child",
    "general-information",
    "parental-responsibility-need",
    "statutory-notice",
};

constexpr std::array<std::string_view, 15> kCategories = {
    "contact-details", "appointments",    "attendance",       "treatment-status", "treatment-plan",
    "crisis-plan",     "individual-plan", "diagnoses",        "substance-use",    "mental-health",
    "somatic-health",  "medication",      "risk-assessments", "social-situation", "epicrisis",
};

constexpr std::array<std::string_view, 15> kRelationships = {
    "mother",
    "father",
    "co-mother",
    "parent",
    "child",
    "sibling",
    "spouse-or-registered-partner",
    "cohabitant",
    "partner",
    "grandparent",
    "foster-parent",
    "step-parent",
    "guardian",
    "other-family",
    "other",
};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

const Rule& rule(std::string_view id) {
  for (const auto& candidate : kRules) {
    if (candidate.id == id) return candidate;
  }
  return kRules.front();
}

Decision decided(std::string_view id, std::string reason) {
  Decision decision;
  const Rule& r = rule(id);
  decision.verdict = r.verdict;
  decision.rule = std::string(r.id);
  decision.legal_basis = std::string(r.legal_basis);
  decision.reason = std::move(reason);
  return decision;
}

Obligation tell_patient() {
  return {"inform-patient-of-disclosure", "Tell the patient what was disclosed, to whom and why",
          "pbrl § 3-6"};
}

bool is_parent_relationship(std::string_view relationship) {
  return relationship == "mother" || relationship == "father" || relationship == "co-mother" ||
         relationship == "parent" || relationship == "foster-parent" ||
         relationship == "step-parent" || relationship == "guardian";
}

bool has_responsibility(const Recipient& recipient) {
  return recipient.kind == Recipient::Kind::relative &&
         recipient.parental_responsibility.value_or(false);
}

bool actor_matches(const Actor& actor, const Recipient& recipient) {
  if (!actor.role.empty()) {
    if (actor.role == "nearest-relative") {
      return recipient.kind == Recipient::Kind::relative && recipient.nearest_relative;
    }
    if (actor.role == "parents-with-responsibility") return has_responsibility(recipient);
    return recipient.kind == Recipient::Kind::agency && recipient.role == actor.role;
  }
  if (!actor.reference.empty() && actor.reference == recipient.reference) return true;
  for (const auto& identifier : actor.identifiers) {
    if (std::find(recipient.identifiers.begin(), recipient.identifiers.end(), identifier) !=
        recipient.identifiers.end()) {
      return true;
    }
  }
  return false;
}

struct Match {
  std::string type;  // permit | deny
  std::string path;
  bool explicit_match = false;  // a provision with filters matched, not just the default
};

// Evaluates one provision for the request and one category (empty: not stated). A
// category-limited permit covers only its categories; a category-limited deny also covers
// a request that does not say what it carries.
std::optional<Match> evaluate(const Provision& provision, const std::string& path,
                              const std::string& inherited, const Request& request,
                              std::string_view category) {
  const std::string type = provision.type.empty() ? inherited : provision.type;
  if (provision.period && !provision.period->contains(request.time, request.time_offset)) {
    return std::nullopt;
  }
  if (!provision.actors.empty() &&
      std::none_of(provision.actors.begin(), provision.actors.end(),
                   [&](const Actor& a) { return actor_matches(a, request.recipient); })) {
    return std::nullopt;
  }
  if (!provision.purposes.empty() && std::find(provision.purposes.begin(), provision.purposes.end(),
                                               request.purpose) == provision.purposes.end()) {
    return std::nullopt;
  }
  if (!provision.categories.empty()) {
    if (category.empty()) {
      if (type == "permit") return std::nullopt;
    } else if (std::find(provision.categories.begin(), provision.categories.end(), category) ==
               provision.categories.end()) {
      return std::nullopt;
    }
  }
  Match result{type, path, provision.has_filters()};
  std::optional<Match> permit;
  std::optional<Match> deny;
  for (std::size_t i = 0; i < provision.provisions.size(); ++i) {
    auto child = evaluate(provision.provisions[i], path + ".provision[" + std::to_string(i) + "]",
                          type, request, category);
    if (!child) continue;
    if (child->type == "deny" && !deny) deny = child;
    if (child->type == "permit" && !permit) permit = child;
  }
  if (deny) return deny;
  if (permit) return permit;
  return result;
}

bool has_deny(const Provision& provision, bool root) {
  if (!root && provision.type == "deny") return true;
  return std::any_of(provision.provisions.begin(), provision.provisions.end(),
                     [](const Provision& p) { return has_deny(p, false); });
}

}  // namespace

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::permit:
      return "permit";
    case Verdict::deny:
      return "deny";
    case Verdict::general_information_only:
      return "general-information-only";
  }
  return "deny";
}

std::span<const Rule> rules() {
  return kRules;
}
std::span<const std::string_view> purposes() {
  return kPurposes;
}
std::span<const std::string_view> data_categories() {
  return kCategories;
}
std::span<const std::string_view> relationships() {
  return kRelationships;
}

int age_at(chr::year_month_day birth, Instant time, chr::minutes offset) {
  const chr::year_month_day day{chr::floor<chr::days>(time + offset)};
  int age = static_cast<int>(day.year()) - static_cast<int>(birth.year());
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --age;
  }
  return age;
}

Decision decide(const Request& request) {
  fhir::Outcome problems = request.problems;
  const Recipient& recipient = request.recipient;
  const bool relative = recipient.kind == Recipient::Kind::relative;

  // What a rule needs: the patient's age, a known purpose, relationship and categories.
  std::optional<chr::year_month_day> birth = request.patient_birth_date;
  if (!birth && !request.patient_identifier.empty()) {
    birth = norway::check_person_number(request.patient_identifier).birth_date;
  }
  if (!birth) {
    problems.error(IssueType::required, "patient",
                   "the patient's age cannot be told: no birth date and no person number "
                   "that encodes one");
  }
  if (!one_of(kPurposes, request.purpose)) {
    problems.error(IssueType::code_invalid, "purpose",
                   "unknown purpose \"" + request.purpose + "\"");
  }
  for (std::size_t i = 0; i < request.categories.size(); ++i) {
    if (!one_of(kCategories, request.categories[i])) {
      problems.error(IssueType::code_invalid, "dataCategories[" + std::to_string(i) + "]",
                     "unknown data category \"" + request.categories[i] + "\"");
    }
  }
  if (relative && !one_of(kRelationships, recipient.relationship)) {
    problems.error(IssueType::code_invalid, "recipient.relative.relationship",
                   "unknown relationship \"" + recipient.relationship + "\"");
  }
  if (!relative && recipient.role.empty()) {
    problems.error(IssueType::required, "recipient.agency.role", "an agency without a role");
  }
  const bool child_or_sibling =
      relative && (recipient.relationship == "child" || recipient.relationship == "sibling");
  if (child_or_sibling && !recipient.birth_date) {
    problems.error(IssueType::required, "recipient.relative.birthDate",
                   "a child's or sibling's birth date is needed to tell whether they are minors");
  }
  const int age = birth ? age_at(*birth, request.time, request.time_offset) : -1;
  if (birth && age < 0) {
    problems.error(IssueType::invalid, "patient", "the patient is born after the time asked about");
  }
  if (relative && birth && age < 18 && is_parent_relationship(recipient.relationship) &&
      !recipient.parental_responsibility) {
    problems.error(IssueType::required, "recipient.relative.parentalResponsibility",
                   "for a patient under 18, whether the " + recipient.relationship +
                       " has parental responsibility decides what they are told");
  }

  // Directives in force: withdrawals act at once, whatever the withdrawn directive says.
  std::vector<Considered> considered;
  std::vector<const Directive*> in_force;
  std::set<std::string> withdrawn;
  for (const auto& directive : request.directives) {
    if (!directive.withdraws.empty() && directive.status != "entered-in-error") {
      withdrawn.insert(directive.withdraws);
    }
  }
  for (const auto& directive : request.directives) {
    Considered entry{directive.id, "in-force", {}};
    if (withdrawn.contains(directive.id)) {
      entry.status = "withdrawn";
      for (const auto& other : request.directives) {
        if (other.withdraws == directive.id) entry.note = "withdrawn by " + other.id;
      }
    } else if (directive.status != "active") {
      entry.status = directive.status;
    } else if (directive.root.period &&
               !directive.root.period->contains(request.time, request.time_offset)) {
      Period starts_only{directive.root.period->start, {}};
      entry.status =
          starts_only.contains(request.time, request.time_offset) ? "expired" : "not-yet-valid";
    } else {
      in_force.push_back(&directive);
    }
    considered.push_back(std::move(entry));
  }

  auto finish = [&](Decision decision) {
    decision.considered = considered;
    decision.issues.merge(problems);
    decision.patient_age = age;
    if (decision.categories.empty()) {
      for (const auto& category : request.categories) {
        decision.categories.emplace_back(category, decision.verdict);
      }
    }
    return decision;
  };

  if (problems.has_errors()) {
    return finish(decided("undecidable", "the request cannot be decided; see issues"));
  }
  if (request.purpose == "general-information") {
    return finish(decided("general-information",
                          "general information may be given to anyone without consent"));
  }
  if (child_or_sibling && age_at(*recipient.birth_date, request.time, request.time_offset) < 18) {
    Decision decision =
        decided("minor-child-information-needs",
                "the patient's minor " + recipient.relationship +
                    " is not told patient-specific information; their needs are assessed instead");
    decision.obligations.push_back({"assess-minor-relative-information-needs",
                                    "Create a Task to assess and meet the information and "
                                    "follow-up needs of the patient's minor " +
                                        recipient.relationship,
                                    "hpl § 10a"});
    return finish(decision);
  }
  if (request.purpose == "statutory-notice") {
    if (!relative && recipient.municipal) {
      Decision decision =
          decided("statutory-notice", "a notice the law requires goes with minimal content");
      decision.obligations.push_back(
          {"minimal-content", "Send only what the notice requires: no copies, no clinical detail",
           "hpl § 21"});
      return finish(decision);
    }
    problems.warning(IssueType::business_rule, "purpose",
                     "statutory-notice goes only to a municipal service; decided on consent");
  }
  if (age < 18 && has_responsibility(recipient) &&
      request.purpose == "parental-responsibility-need") {
    Decision decision = decided("parental-responsibility-information",
                                "parents get what they need to exercise parental "
                                "responsibility, whatever the patient wants");
    decision.obligations.push_back(tell_patient());
    return finish(decision);
  }

  // Consent evaluation, per category.
  struct Outcome {
    std::string type;  // permit | deny | ""
    const Directive* directive = nullptr;
    std::string path;
  };
  auto evaluate_all = [&](std::string_view category) {
    Outcome permit;
    Outcome deny;
    for (const Directive* directive : in_force) {
      auto match =
          evaluate(directive->root, "Consent.provision", directive->root.type, request, category);
      if (!match) continue;
      if (match->type == "deny" && match->explicit_match && deny.type.empty()) {
        deny = {"deny", directive, match->path};
      }
      if (match->type == "permit" && permit.type.empty()) {
        permit = {"permit", directive, match->path};
      }
    }
    return !deny.type.empty() ? deny : permit;
  };

  if (age < 16 && has_responsibility(recipient)) {
    for (const Directive* directive : in_force) {
      if (!directive->minor_refusal) continue;
      const MinorRefusal& refusal = *directive->minor_refusal;
      const bool concerns_recipient =
          refusal.parents.empty() ||
          std::any_of(refusal.parents.begin(), refusal.parents.end(),
                      [&](const Actor& a) { return actor_matches(a, recipient); });
      if (!concerns_recipient) continue;
      if (refusal.weighty_considerations || refusal.restriction_code == "NORN_FORANS") {
        Decision decision =
            decided("weighty-considerations",
                    "information to the parents is withheld for weighty considerations for "
                    "the child");
        decision.consent = directive->id;
        return finish(decision);
      }
      if (!refusal.refuses) continue;
      if (age < 12) {
        problems.warning(IssueType::business_rule, "Consent/" + directive->id,
                         "a refusal by a child under 12 does not stop information to parents");
        continue;
      }
      if (!refusal.reasons_respected) {
        problems.warning(IssueType::business_rule, "Consent/" + directive->id,
                         "the refusal's reasons were not judged to be respected");
        continue;
      }
      // The refusal's scope is the directive's denials; without any, everything.
      bool within = !has_deny(directive->root, true);
      std::string path;
      const std::vector<std::string> scope =
          request.categories.empty() ? std::vector<std::string>{""} : request.categories;
      for (const auto& category : scope) {
        auto match =
            evaluate(directive->root, "Consent.provision", directive->root.type, request, category);
        if (match && match->type == "deny" && match->explicit_match) {
          within = true;
          path = match->path;
        }
      }
      if (within) {
        Decision decision =
            decided("minor-refusal", "the patient (" + std::to_string(age) +
                                         ") does not want the parents told, for reasons that "
                                         "should be respected");
        decision.consent = directive->id;
        decision.provision = path;
        return finish(decision);
      }
    }
    return finish(decided("parents-under-16",
                          "those with parental responsibility are informed about a patient "
                          "under 16"));
  }

  const std::vector<std::string> scope =
      request.categories.empty() ? std::vector<std::string>{""} : request.categories;
  std::vector<std::pair<std::string, Outcome>> per_category;
  for (const auto& category : scope)
    per_category.emplace_back(category, evaluate_all(category));
  const auto denied = std::find_if(per_category.begin(), per_category.end(),
                                   [](const auto& c) { return c.second.type == "deny"; });
  const bool all_permitted = std::all_of(per_category.begin(), per_category.end(),
                                         [](const auto& c) { return c.second.type == "permit"; });
  auto with_categories = [&](Decision decision) {
    for (const auto& [category, outcome] : per_category) {
      if (category.empty()) continue;
      decision.categories.emplace_back(
          category, outcome.type == "permit"
                        ? Verdict::permit
                        : (relative ? Verdict::general_information_only : Verdict::deny));
    }
    return decision;
  };
  if (denied != per_category.end()) {
    Decision decision =
        decided(relative ? "consent-deny-relative" : "consent-deny-agency",
                "directive " + denied->second.directive->id + " denies " + request.purpose +
                    (denied->first.empty() ? "" : " for " + denied->first));
    decision.consent = denied->second.directive->id;
    decision.provision = denied->second.path;
    return finish(with_categories(decision));
  }
  if (all_permitted) {
    const auto& first = per_category.front().second;
    Decision decision =
        decided(request.purpose == "notify-treatment-interruption" ? "treatment-interruption-notice"
                                                                   : "consent-permit",
                "directive " + first.directive->id + " permits " + request.purpose);
    decision.consent = first.directive->id;
    decision.provision = first.path;
    return finish(with_categories(decision));
  }
  if (request.purpose == "notify-treatment-interruption") {
    return finish(with_categories(
        decided("treatment-interruption-without-consent",
                "no directive in force lets the relative be told of the treatment interruption")));
  }
  if (relative && age >= 16 && age < 18 && is_parent_relationship(recipient.relationship)) {
    return finish(with_categories(
        decided("parents-16-17", "a patient of " + std::to_string(age) +
                                     " decides what the parents are told, beyond what "
                                     "parental responsibility needs")));
  }
  if (relative) {
    return finish(with_categories(
        decided("no-consent-relative", "no directive in force permits this to the relative")));
  }
  return finish(with_categories(
      decided("no-consent-agency", "no directive in force permits this to the agency")));
}

}  // namespace adapter::consent
