"""Spring records from the payments sample: controllers, services, MockMvc tests, data classes.

The samples are parsed as step 2 parses them (parse_assets): Java sources and Java tests.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from tasks.build_dataset import from_spring
from tasks.build_dataset.assets import ParsedAssets, parse_assets
from tasks.dsl import plantuml, spring_code

BUILDERS = {
    from_spring.CONTROLLER: from_spring.spring_controllers,
    from_spring.SERVICE: from_spring.spring_services,
    from_spring.CONTROLLER_TEST: from_spring.controller_tests,
    from_spring.DIAGRAM: from_spring.java_class_diagrams,
}
VALIDATORS = {
    from_spring.CONTROLLER: spring_code.validate_controller,
    from_spring.SERVICE: spring_code.validate_service,
    from_spring.CONTROLLER_TEST: spring_code.validate_controller_test,
    from_spring.DIAGRAM: lambda output, _language, _method: plantuml.validate(output),
}
REASONS = {
    "too long for max_record_tokens", "no_handlers", "no_operation", "no_public_method",
    "unmatched_test", "surplus", "nested_test", "empty_class", "duplicate_class",
}  # fmt: skip
WEB = "samples:java/payments-service/src/main/java/com/acme/payments/web/"


@pytest.fixture(scope="module")
def parsed(sample_contents) -> ParsedAssets:
    """The samples parsed as step 2 does."""
    found = parse_assets(sample_contents)
    assert any(a.endswith("StandingOrderControllerTest.java") for a in found.java_tests)
    return found


@pytest.fixture(scope="module")
def step(repo_params):
    return repo_params.build_dataset  # as shipped: max_record_tokens 448


@pytest.fixture(scope="module")
def built(parsed, step):
    return {task: build(parsed, step) for task, build in BUILDERS.items()}


def _handlers(code: str) -> dict[str, list[spring_code.Route]]:
    root, _ = spring_code.parse_class_file(code)
    found = {}
    for node in root.named_children:
        if node.type == "class_declaration" and spring_code.is_controller(node):
            bases = spring_code.class_paths(node)
            for method in node.child_by_field_name("body").named_children:
                routes = spring_code.handler_routes(method, bases)
                if method.type == "method_declaration" and routes:
                    found[method.child_by_field_name("name").text.decode()] = routes
    return found


def _tests(code: str) -> dict[str, list[spring_code.Route | None]]:
    root, _ = spring_code.parse_class_file(code)
    return {
        test.child_by_field_name("name").text.decode(): spring_code.performed_requests(test)
        for test in spring_code.test_methods(root)
    }


def test_every_builder_gives_records_on_the_samples(built):
    counts = {task: len(found.candidates) for task, found in built.items()}
    assert counts == {
        from_spring.CONTROLLER: 20,
        from_spring.SERVICE: 22,
        from_spring.CONTROLLER_TEST: 5,
        from_spring.DIAGRAM: 18,
    }
    for task, found in built.items():
        assert {c.task for c in found.candidates} == {task}
        assert {r.task for r in found.rejects} <= {task}


def test_every_output_passes_its_validator(built):
    for task, found in built.items():
        for candidate in found.candidates:
            problems = VALIDATORS[task](candidate.output, candidate.language, candidate.method)
            assert problems == [], (candidate.assets[0], candidate.method, problems)
            assert candidate.language == ("plantuml" if task == from_spring.DIAGRAM else "java")


def test_every_record_fits_the_token_budget(built, step):
    for found in built.values():
        for candidate in found.candidates:
            tokens = from_spring.estimated_tokens(candidate.input, candidate.output)
            assert tokens <= step.max_record_tokens == 448


def test_every_asset_is_a_real_asset(built, sample_contents):
    """Assets are asset ids; a spec's resource that documents the same operations is its
    sub-asset `<spec>#<resource>` (from_api), so the two records share a split group."""
    kinds = dict(zip(sample_contents["asset_id"], sample_contents["kind"], strict=True))
    for found in built.values():
        for candidate in found.candidates:
            assert candidate.assets and len(set(candidate.assets)) == len(candidate.assets)
            assert kinds[candidate.assets[0]] in ("source", "test")
            for asset in candidate.assets:
                base, _, resource = asset.partition("#")
                assert base in kinds
                assert not resource or kinds[base] in ("openapi", "postman")
        for reject in found.rejects:
            assert reject.asset_id in kinds


def test_rejects_say_why(built):
    heads = {r.reason.split(":", 1)[0] for found in built.values() for r in found.rejects}
    assert heads <= REASONS
    too_long = [r for r in built[from_spring.CONTROLLER].rejects if r.reason.startswith("too")]
    assert any("'StandingOrderController' with handler 'create'" in r.reason for r in too_long)
    assert all("(limit 448)" in r.reason for r in too_long)


def test_controller_records_slice_one_handler_with_its_row(built):
    by_handler = {
        (c.assets[0].removeprefix(WEB), c.method): c
        for c in built[from_spring.CONTROLLER].candidates
    }
    # The legacy controller is built like any other (curation rejects its verbs in the URIs).
    assert {m for a, m in by_handler if a == "LegacyNewsController.java"} == {
        "createPost", "getPost", "getAllPosts", "updatePost", "deletePost",
    }  # fmt: skip
    record = by_handler[("NewsPostController.java", "publish")]
    assert record.fields == {"name": "NewsPostController"}
    assert list(_handlers(record.output)) == ["publish"]
    assert '@RequestMapping("/news-posts")' in record.output
    assert "public NewsPostController(NewsPostService service)" in record.output
    rows = [line for line in record.input.splitlines() if line.startswith("| /")]
    assert len(rows) == 1 and rows[0].startswith("| /news-posts/{postId}/publication | POST |")
    assert "public interface NewsPostService {" in record.input
    assert "NewsPost publish(Long id);" in record.input
    assert record.assets[0] == WEB + "NewsPostController.java"
    assert any(a.endswith("service/NewsPostService.java") for a in record.assets)


def test_every_handler_is_a_record_or_a_reject(built, parsed):
    records = {(c.fields["name"], c.method) for c in built[from_spring.CONTROLLER].candidates}
    rejects = " ".join(r.reason for r in built[from_spring.CONTROLLER].rejects)
    controllers = [a for a in parsed.java_sources if a.startswith(WEB) and "Controller" in a]
    assert len(controllers) == 5
    for asset_id in controllers:
        name = asset_id.removeprefix(WEB).removesuffix(".java")
        for handler in _handlers(parsed.java_sources[asset_id]):
            found = (name, handler) in records
            assert found or f"'{name}' with handler '{handler}'" in rejects, (name, handler)


def test_operations_share_a_record_when_they_fit(parsed, step, built):
    roomy = step.model_copy(update={"api_operations_per_record": 6, "max_record_tokens": 100_000})
    found = from_spring.spring_controllers(parsed, roomy)
    news = next(c for c in found.candidates if c.fields["name"] == "NewsPostController")
    assert news.method is None
    assert list(_handlers(news.output)) == ["create", "get", "list", "edit", "publish", "delete"]
    assert spring_code.validate_controller(news.output, "java") == []
    # A chunk too long for the budget falls back to its operations one by one: no handler is
    # lost or drawn twice, and what fits alone is still there.
    chunked = from_spring.spring_controllers(
        parsed, step.model_copy(update={"api_operations_per_record": 3})
    )
    covered = [(c.fields["name"], h) for c in chunked.candidates for h in _handlers(c.output)]
    assert len(covered) == len(set(covered))
    assert set(covered) >= {
        (c.fields["name"], c.method) for c in built[from_spring.CONTROLLER].candidates
    }
    assert any(len(_handlers(c.output)) > 1 for c in chunked.candidates)


def test_every_service_method_is_a_record_or_a_reject(built, parsed):
    records = {(c.fields["name"], c.method) for c in built[from_spring.SERVICE].candidates}
    rejects = " ".join(r.reason for r in built[from_spring.SERVICE].rejects)
    services = {
        unit.name: unit
        for asset_id in parsed.java_sources
        if "/service/" in asset_id and parsed.kinds[asset_id] == "source"
        for unit in parsed.units[asset_id]
        if unit.kind == "class"
    }
    assert len(services) == 9
    for name, unit in services.items():
        for method in unit.methods:
            if method.visibility == "public" and " static " not in method.source.split("(")[0]:
                found = (name, method.name) in records
                assert found or f"'{name}' with method '{method.name}'" in rejects


def test_service_records_show_the_interface_and_repositories(built):
    records = {c.fields["method"]: c for c in built[from_spring.SERVICE].candidates}
    record = records["listForCustomer"]
    assert record.fields == {"name": "AccountService", "method": "listForCustomer"}
    assert record.input.startswith("public interface AccountService {")
    assert "public interface AccountRepository extends JpaRepository<Account, UUID> {" in (
        record.input
    )
    assert any(a.endswith("repository/AccountRepository.java") for a in record.assets)
    assert record.output.startswith("@Service\n@Transactional\npublic class AccountService {")
    methods = re.findall(r"^    public (?:\S+ )?(\w+)\(", record.output, re.M)
    assert methods == ["AccountService", "listForCustomer"]  # the constructor, the method


def test_controller_tests_pair_each_test_with_its_endpoint(parsed, step):
    """Each record's tests perform requests on the handlers of its input, and on no other; a
    test class's records name its own controller (`@WebMvcTest(X.class)`)."""
    roomy = step.model_copy(update={"max_record_tokens": 100_000})
    expected = {
        ("StandingOrderControllerTest", ("create",)): [
            "createReturns201WithLocation", "createReturns400WhenAmountIsMissing",
        ],
        ("StandingOrderControllerTest", ("get",)): ["getReturns404ForUnknownOrder"],
        ("StandingOrderControllerTest", ("pause",)): ["pauseReturns409WhenOrderIsCancelled"],
        ("StandingOrderControllerTest", ("cancel",)): ["cancelReturns204"],
        ("StandingOrderControllerTest", ("schedule",)): ["scheduleIsEmptyForCancelledOrder"],
        ("PayeeControllerTest", ("list",)): ["listFiltersByNameIgnoringCase"],
        ("PayeeControllerTest", ("add",)): [
            "addReturns201WithTheMaskedAccountNumber", "addReturns400ForABadSortCode",
        ],
        ("PayeeControllerTest", ("get",)): ["getReturns404ForUnknownPayee"],
        ("PayeeControllerTest", ("rename",)): ["renamePassesTheNewNameToTheService"],
        ("PayeeControllerTest", ("remove",)): ["removeReturns409WhileAStandingOrderPaysThePayee"],
    }  # fmt: skip
    fitting = {
        ("StandingOrderControllerTest", ("get",)), ("StandingOrderControllerTest", ("cancel",)),
        ("PayeeControllerTest", ("get",)), ("PayeeControllerTest", ("rename",)),
        ("PayeeControllerTest", ("remove",)),
    }  # fmt: skip
    for budget, wanted in ((step, fitting), (roomy, set(expected))):
        found = from_spring.controller_tests(parsed, budget)
        pairs = {}
        for record in found.candidates:
            test_class = record.fields["name"]
            controller = test_class.removesuffix("Test")
            handlers = _handlers(record.input)
            tests = _tests(record.output)
            pairs[(test_class, tuple(handlers))] = list(tests)
            for requests in tests.values():
                assert requests and all(
                    any(
                        spring_code.routes_match(r, route)
                        for routes in handlers.values()
                        for route in routes
                    )
                    for r in requests
                )
            assert record.assets[0].endswith(f"web/{test_class}.java")
            assert record.assets[1:] == (WEB + f"{controller}.java",)
        assert pairs == {key: expected[key] for key in wanted}
    assert found.rejects == []


def test_a_test_of_no_controller_among_the_assets_is_a_reject(parsed, step):
    """Without the controller it exercises, a MockMvc test has no input: a reject per test."""
    alone = dataclasses.replace(
        parsed,
        java_sources={a: t for a, t in parsed.java_sources.items() if "Controller" not in a},
    )
    found = from_spring.controller_tests(alone, step)
    assert found.candidates == []
    assert len(found.rejects) == 12  # the tests of both MockMvc test classes
    assert all(r.reason.startswith("unmatched_test: '") for r in found.rejects)
    assert "no controller among the assets" in found.rejects[0].reason


def test_class_diagrams_draw_elided_java(built):
    records = built[from_spring.DIAGRAM].candidates
    request = next(c for c in records if c.assets[0].endswith("web/dto/RenameRequest.java"))
    assert (
        request.input == "public record RenameRequest(@NotBlank @Size(max = 70) String name) {\n}"
    )
    assert "class RenameRequest <<record>> {" in request.output
    frequency = next(c for c in records if c.assets[0].endswith("domain/Frequency.java"))
    assert "public int paymentsPerYear() { ... }" in frequency.input
    assert "/**" not in frequency.input and "return" not in frequency.input
    assert "+paymentsPerYear() : int" in frequency.output
    # Related classes of a package share a diagram: an exception and its superclass.
    pair = next(c for c in records if len(c.assets) == 2 and "ConflictException" in c.input)
    assert "ConflictException <|-- InvalidStatusTransitionException" in pair.output
    drawn = {name for c in records for name in re.findall(r"^(?:class|enum) (\w+)", c.output, re.M)}
    rejected = " ".join(r.reason for r in built[from_spring.DIAGRAM].rejects)
    for name in ("Account", "Money", "StandingOrder", "StandingOrderResponse", "NewsPost"):
        assert name in drawn or f".{name}'" in rejected


def test_builders_are_deterministic(parsed, step, built):
    for task, build in BUILDERS.items():
        again = build(parsed, step)
        assert again.candidates == built[task].candidates
        assert again.rejects == built[task].rejects
