"""PlantUML records from code: a package's classes grouped by relations, every class accounted for.

The fixtures follow the shape of the public Spring samples users build from (a vet clinic's
owners and pets on shared base entities, a blog's articles and comments): written here.
"""

from __future__ import annotations

import re

import pytest

from tasks.build_dataset import class_groups, from_code
from tasks.dsl import code_units, plantuml

CLINIC = {
    "model/BaseEntity.java": """package org.vetclinic.model;
public class BaseEntity {
    private Integer id;
    public Integer getId() { return id; }
    public boolean isNew() { return id == null; }
}
""",
    "model/NamedEntity.java": """package org.vetclinic.model;
public class NamedEntity extends BaseEntity {
    private String name;
}
""",
    "model/Person.java": """package org.vetclinic.model;
public class Person extends BaseEntity {
    private String firstName;
    private String lastName;
}
""",
    "owner/Owner.java": """package org.vetclinic.owner;
public class Owner extends Person {
    private static final int MAX_PETS = 12;
    private String address;
    private String telephone;
    private final List<Pet> pets = new ArrayList<>();
    public List<Pet> getPets() { return pets; }
    public void addPet(Pet pet) { pets.add(pet); }
    public static Owner named(String lastName) { return new Owner(); }
}
""",
    "owner/Pet.java": """package org.vetclinic.owner;
public class Pet extends NamedEntity {
    private LocalDate birthDate;
    private PetType type;
    private final Set<Visit> visits = new LinkedHashSet<>();
    public void addVisit(Visit visit) { visits.add(visit); }
}
""",
    "owner/PetType.java": """package org.vetclinic.owner;
public class PetType extends NamedEntity {
}
""",
    "owner/Visit.java": """package org.vetclinic.owner;
public class Visit extends BaseEntity {
    private LocalDate date;
    private String description;
}
""",
    "owner/OwnerRepository.java": """package org.vetclinic.owner;
public interface OwnerRepository extends JpaRepository<Owner, Integer> {
    Page<Owner> findByLastName(String lastName, Pageable pageable);
}
""",
    "owner/OwnerController.java": """package org.vetclinic.owner;
class OwnerController {
    private final OwnerRepository owners;
    OwnerController(OwnerRepository owners) { this.owners = owners; }
    public String showOwner(int ownerId, Model model) { return "owners/ownerDetails"; }
}
""",
    "owner/PetValidator.java": """package org.vetclinic.owner;
public class PetValidator implements Validator {
    public boolean supports(Class<?> clazz) { return true; }
    public void validate(Object target, Errors errors) { }
}
""",
    "owner/Marker.java": "package org.vetclinic.owner;\npublic class Marker {\n}\n",
}
BLOG = {
    "blog/Article.java": """package org.blog.article;
public class Article {
    private String slug;
    private String title;
    private List<Tag> tags;
    private Profile author;
    private List<Comment> comments;
    public void retitle(String title) { this.title = title; }
}
""",
    "blog/Comment.java": """package org.blog.article;
public class Comment {
    private String body;
    private Profile author;
}
""",
    "blog/Tag.java": "package org.blog.article;\npublic record Tag(String name) {\n}\n",
    "blog/Profile.java": "package org.blog.article;\npublic class Profile {\n}\n",
}
SOURCES = {**CLINIC, **BLOG}
TASK = "design_plantuml_datastructure"


def _units() -> dict[str, list]:
    return {path: code_units.parse_java(text, path) for path, text in SOURCES.items()}


def _build(max_classes: int, max_tokens: int | None = 448):
    kinds = dict.fromkeys(SOURCES, "source")
    built = from_code.from_sources(_units(), kinds, 3, max_classes, max_tokens=max_tokens)
    candidates = [c for c in built.candidates if c.task == TASK]
    return candidates, [r for r in built.rejects if r.task == TASK]


def _drawn(candidate) -> list[str]:
    return re.findall(r"^(?:class|interface|enum) (\S+)", candidate.output, re.M)


def _group(candidates, name: str) -> set[str]:
    return next(set(_drawn(c)) for c in candidates if name in _drawn(c))


@pytest.mark.parametrize("max_classes", [1, 2, 3, 8])
@pytest.mark.parametrize("max_tokens", [None, 448, 250])
def test_given_any_limits_when_grouped_then_each_class_is_drawn_once_or_rejected(
    max_classes, max_tokens
):
    candidates, rejects = _build(max_classes, max_tokens)
    drawn = [(c.assets, name) for c in candidates for name in _drawn(c)]
    rejected = [re.search(r"'[\w.]*\.(\w+)'", r.reason).group(1) for r in rejects]
    names = [name for _, name in drawn] + rejected
    expected = sorted(p.rsplit("/", 1)[-1].removesuffix(".java") for p in SOURCES)
    assert sorted(names) == expected  # none dropped without a word, none drawn twice
    assert all(len(_drawn(c)) <= max_classes for c in candidates)
    for c in candidates:  # a record names exactly the files its classes come from
        assert {a.rsplit("/", 1)[-1].removesuffix(".java") for a in c.assets} == set(_drawn(c))


@pytest.mark.parametrize("max_classes", [1, 2, 3, 8])
def test_given_the_records_then_each_diagram_is_valid_and_states_only_what_its_input_does(
    max_classes,
):
    candidates, _ = _build(max_classes)
    for c in candidates:
        assert plantuml.validate(c.output) == [], c.output
        assert plantuml.derivation_problems(c.input, c.output) == [], (c.input, c.output)


@pytest.mark.skipif(not plantuml.plantuml_available(), reason="PlantUML is not installed")
def test_given_the_records_when_checked_by_plantuml_then_all_are_valid():
    outputs = [c.output for k in (2, 8) for c in _build(k)[0]]
    assert plantuml.validate_many_with_plantuml(outputs) == [[] for _ in outputs]


def test_given_room_when_grouped_then_an_aggregate_is_one_diagram_and_unrelated_classes_apart():
    candidates, _ = _build(max_classes=8, max_tokens=None)
    assert _group(candidates, "Owner") == {
        "Owner", "Pet", "PetType", "Visit", "OwnerRepository", "OwnerController",
    }  # fmt: skip
    assert _group(candidates, "Article") == {"Article", "Comment", "Profile", "Tag"}
    assert _group(candidates, "PetValidator") == {"PetValidator"}  # related to nothing
    with_budget, _ = _build(max_classes=8, max_tokens=448)
    assert _group(with_budget, "Owner") == {"Owner", "Pet", "PetType", "Visit"}
    assert _group(with_budget, "OwnerController") == {"OwnerController", "OwnerRepository"}


def test_given_two_classes_a_record_then_pairs_are_related_and_bare_classes_join_a_neighbour():
    candidates, rejects = _build(max_classes=2)
    for c in candidates:
        first, *rest = _drawn(c)
        for other in rest:  # each pair is drawn with the relation that joined it
            assert re.search(rf"^(?:{first}|{other}) \S+ (?:\"\*\" )?(?:{first}|{other})$",
                             c.output, re.M), c.output  # fmt: skip
    assert _group(candidates, "PetType") == {"Pet", "PetType"}  # a bare class needs its partner
    assert _group(candidates, "Profile") == {"Comment", "Profile"}
    assert _group(candidates, "Article") == {"Article", "Tag"}
    assert [r.reason for r in rejects] == [
        "empty_class: 'org.vetclinic.owner.Marker' has no fields or public methods and no "
        "relation to another class of package 'org.vetclinic.owner'"
    ]
    assert rejects[0].asset_id == "owner/Marker.java"


def test_given_a_tight_budget_when_grouped_then_every_group_of_several_fits_it():
    candidates, _ = _build(max_classes=8, max_tokens=250)
    several = [c for c in candidates if len(_drawn(c)) > 1]
    assert several and all(class_groups.estimated_tokens(c) <= 250 for c in several)
    assert len(_group(candidates, "Owner")) < 4  # the aggregate is cut to fit


def test_given_a_bare_class_its_relations_drawn_elsewhere_then_the_reject_says_so():
    candidates, rejects = _build(max_classes=1)
    reasons = {re.search(r"'([\w.]+)'", r.reason).group(1): r.reason for r in rejects}
    assert set(reasons) == {
        "org.vetclinic.owner.Marker", "org.vetclinic.owner.PetType", "org.blog.article.Profile",
    }  # fmt: skip
    assert reasons["org.vetclinic.owner.PetType"] == (
        "empty_class: 'org.vetclinic.owner.PetType' has no fields or public methods, and its "
        "related classes ('Pet') fill diagrams of at most 1 classes without it"
    )


def test_given_a_supertype_in_another_package_then_neither_input_nor_answer_states_it():
    candidates, _ = _build(max_classes=2)
    (owner,) = [c for c in candidates if "Owner" in _drawn(c)]
    assert owner.input.splitlines()[0] == "org.vetclinic.owner.Owner()"  # no `extends Person`
    assert "<|--" not in owner.output
    (base,) = [c for c in candidates if "NamedEntity" in _drawn(c)]
    assert "org.vetclinic.model.NamedEntity() extends BaseEntity" in base.input
    assert "BaseEntity <|-- NamedEntity" in base.output
    assert "{static} +named(String) : Owner" in owner.output  # and no MAX_PETS constant
    assert "static named(String): Owner" in owner.input and "MAX_PETS" not in owner.input


def test_given_two_classes_of_one_name_in_a_package_then_the_second_is_rejected():
    first = code_units.parse_java("package p;\nclass A {\n    private B b;\n}\n", "one/A.java")
    second = code_units.parse_java("package p;\nclass A {\n    private int x;\n}\n", "two/A.java")
    other = code_units.parse_java("package p;\nclass B {\n    private int y;\n}\n", "B.java")
    members = [("two/A.java", second[0]), ("one/A.java", first[0]), ("B.java", other[0])]
    built = class_groups.package_diagrams("p", members, 2)
    assert [c.assets for c in built.candidates] == [("B.java", "one/A.java")]
    assert [r.asset_id for r in built.rejects] == ["two/A.java"]
    assert built.rejects[0].reason.startswith("duplicate_class: 'A' of package 'p'")


def test_given_python_modules_when_built_then_module_functions_are_no_class_to_draw():
    text = """from dataclasses import dataclass


@dataclass
class Comment:
    body: str


@dataclass
class Article:
    comments: list["Comment"]


def slugify(title: str) -> str:
    return title.lower()
"""
    units = {"blog/articles.py": code_units.parse_python(text, "blog.articles", "articles.py")}
    built = from_code.from_sources(units, {"blog/articles.py": "source"}, 1, 2, max_tokens=448)
    (diagram,) = [c for c in built.candidates if c.task == TASK]
    assert _drawn(diagram) == ["Article", "Comment"]
    assert 'Article --> "*" Comment' in diagram.output and "slugify" not in diagram.output
    assert diagram.input.splitlines()[0] == "blog.articles.Article(list[Comment])"
