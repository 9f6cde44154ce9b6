"""Spring code answers: controller, service and MockMvc test slices of the payments sample, and
broken ones, each with the problem it must report."""

from __future__ import annotations

import pytest

from tasks.dsl import spring_code
from tasks.dsl.problems import Problem
from tests.support import REPO

JAVA = REPO / "samples/java/payments-service/src"
MAIN = JAVA / "main/java/com/acme/payments"

# Slices as build_dataset cuts them from the sample (class, fields, constructor, one member).
CONTROLLER = """@RestController
@RequestMapping("/news-posts")
public class NewsPostController {

    private final NewsPostService service;

    public NewsPostController(NewsPostService service) {
        this.service = service;
    }

    /** One post by its id. */
    @GetMapping("/{postId}")
    public NewsPost get(@PathVariable Long postId) {
        return service.get(postId);
    }
}"""

PAYEES = """@RestController
@RequestMapping("/accounts/{accountId}/payees")
public class PayeeController {

    private final PayeeService service;

    public PayeeController(PayeeService service) {
        this.service = service;
    }

    /** One payee of the account. */
    @GetMapping("/{payeeId}")
    public PayeeResponse get(@PathVariable UUID accountId, @PathVariable UUID payeeId) {
        return PayeeResponse.from(service.getPayee(accountId, payeeId));
    }
}"""

SERVICE = """@Service
@Transactional
public class PayeeService {

    private final PayeeRepository payees;
    private final AccountService accountService;

    public PayeeService(PayeeRepository payees, AccountService accountService) {
        this.payees = payees;
        this.accountService = accountService;
    }

    @Transactional(readOnly = true)
    public Payee getPayee(UUID accountId, UUID payeeId) {
        return payees.findByIdAndAccountId(payeeId, accountId)
                .orElseThrow(() -> new ResourceNotFoundException("payee", payeeId));
    }
}"""

TEST = """@WebMvcTest(StandingOrderController.class)
class StandingOrderControllerTest {

    @Autowired
    private MockMvc mvc;

    @MockBean
    private StandingOrderService service;

    @Test
    void cancelReturns204() throws Exception {
        UUID orderId = UUID.randomUUID();

        mvc.perform(delete("/standing-orders/{orderId}", orderId))
                .andExpect(status().isNoContent());
        verify(service).cancel(orderId);
    }
}"""


def _lines(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


@pytest.mark.parametrize("name", sorted(p.name for p in (MAIN / "web").glob("*Controller.java")))
def test_every_sample_controller_is_valid(name):
    text = (MAIN / "web" / name).read_text(encoding="utf-8")
    assert spring_code.validate_controller(text, "java") == []


def test_controller_slice_is_valid_and_names_its_handler():
    assert spring_code.validate_controller(CONTROLLER, "java", "get") == []
    assert spring_code.validate_controller(PAYEES, "java") == []
    assert _lines(spring_code.validate_controller(CONTROLLER, "java", "publish")) == [
        "code: no handler method named 'publish' (found: get)"
    ]


@pytest.mark.parametrize(
    ("output", "language", "expected"),
    [
        (CONTROLLER, "python", ["language: expected java, not 'python'"]),
        ("  \n", "java", ["output: empty"]),
        (CONTROLLER.replace("service.get(postId);", "service.get(postId;"), "java", None),
        (
            CONTROLLER.replace("@RestController\n", ""),
            "java",
            [
                "code: no top-level class annotated @RestController (or @Controller and "
                "@ResponseBody)"
            ],
        ),
    ],
    ids=["language", "empty", "syntax", "no-annotation"],
)
def test_controller_rejects_broken_files(output, language, expected):
    problems = spring_code.validate_controller(output, language)
    if expected is None:
        assert problems and all("syntax error" in p.message for p in problems)
        assert problems[0].where == "line 14"
    else:
        assert _lines(problems) == expected


def test_controller_with_response_body_counts_as_rest():
    classic = CONTROLLER.replace("@RestController", "@Controller\n@ResponseBody")
    assert spring_code.validate_controller(classic, "java") == []
    plain = CONTROLLER.replace("@RestController", "@Controller")
    assert spring_code.validate_controller(plain, "java")[0].where == "code"


def test_unbound_and_unknown_path_variables():
    renamed = CONTROLLER.replace("@PathVariable Long postId", "@PathVariable Long id")
    assert _lines(spring_code.validate_controller(renamed, "java")) == [
        "line 13: handler 'get': path variable {postId} of '/news-posts/{postId}' has no "
        "@PathVariable parameter",
        "line 13: handler 'get': @PathVariable 'id' names no variable of the path "
        "'/news-posts/{postId}'",
    ]
    named = CONTROLLER.replace("@PathVariable Long postId", '@PathVariable("postId") Long id')
    assert spring_code.validate_controller(named, "java") == []
    # The class mapping's variables need binding in every handler too.
    lost = PAYEES.replace("@PathVariable UUID accountId, ", "")
    assert _lines(spring_code.validate_controller(lost, "java")) == [
        "line 13: handler 'get': path variable {accountId} of "
        "'/accounts/{accountId}/payees/{payeeId}' has no @PathVariable parameter"
    ]


def test_handler_rules():
    two_bodies = CONTROLLER.replace(
        "@PathVariable Long postId", "@PathVariable Long postId, @RequestBody A a, @RequestBody B b"
    )
    assert _lines(spring_code.validate_controller(two_bodies, "java")) == [
        "line 13: handler 'get' has 2 @RequestBody parameters; a request has one body"
    ]
    any_verb = CONTROLLER.replace('@GetMapping("/{postId}")', '@RequestMapping("/{postId}")')
    assert _lines(spring_code.validate_controller(any_verb, "java")) == [
        "line 13: handler 'get': @RequestMapping without method = RequestMethod.X maps every "
        "HTTP method"
    ]
    get = '@RequestMapping(path = "/{postId}", method = RequestMethod.GET)'
    assert (
        spring_code.validate_controller(
            any_verb.replace('@RequestMapping("/{postId}")', get), "java"
        )
        == []
    )
    no_handler = CONTROLLER.replace('    @GetMapping("/{postId}")\n', "")
    assert _lines(spring_code.validate_controller(no_handler, "java")) == [
        "line 3: class 'NewsPostController' has no handler method (@GetMapping, @PostMapping, "
        "@PutMapping, @PatchMapping, @DeleteMapping or @RequestMapping(method = ...))"
    ]
    twice = CONTROLLER + "\n\n" + PAYEES
    assert _lines(spring_code.validate_controller(twice, "java")) == [
        "line 20: 2 top-level REST classes ('NewsPostController', 'PayeeController'); a slice "
        "is one class"
    ]


@pytest.mark.parametrize(
    "name",
    sorted(
        p.name
        for p in (MAIN / "service").glob("*.java")
        if "@Service" in (text := p.read_text(encoding="utf-8")) or "@Component" in text
    ),
)
def test_every_sample_service_is_valid(name):
    text = (MAIN / "service" / name).read_text(encoding="utf-8")
    assert spring_code.validate_service(text, "java") == []


def test_service_slice():
    assert spring_code.validate_service(SERVICE, "java", "getPayee") == []
    assert spring_code.validate_service(SERVICE.replace("@Service", "@Component"), "java") == []
    assert _lines(spring_code.validate_service(SERVICE, "java", "addPayee")) == [
        "code: no public method named 'addPayee' (found: getPayee)"
    ]


def test_service_rejects_broken_files():
    assert _lines(spring_code.validate_service(SERVICE.replace("@Service\n", ""), "java")) == [
        "code: no top-level class annotated @Service (or @Component)"
    ]
    private = SERVICE.replace("public Payee getPayee", "private Payee getPayee")
    assert _lines(spring_code.validate_service(private, "java")) == [
        "line 3: class 'PayeeService' has no public method with a body"
    ]
    mapped = SERVICE.replace("@Transactional(readOnly = true)", '@GetMapping("/payees")')
    assert _lines(spring_code.validate_service(mapped, "java")) == [
        "line 14: method 'getPayee' is annotated @GetMapping: request mappings belong in a "
        "controller"
    ]
    made = SERVICE.replace("this.payees = payees;", "this.payees = new PayeeRepository();")
    assert _lines(spring_code.validate_service(made, "java")) == [
        "line 9: 'new PayeeRepository(...)': a service gets its repositories injected (a "
        "constructor parameter kept in a field)"
    ]
    assert spring_code.validate_service(SERVICE[:-2], "java")[0].message.startswith("syntax")
    assert _lines(spring_code.validate_service(SERVICE, "kotlin")) == [
        "language: expected java, not 'kotlin'"
    ]


def test_sample_controller_test_and_its_slice_are_valid():
    text = (JAVA / "test/java/com/acme/payments/web/StandingOrderControllerTest.java").read_text(
        encoding="utf-8"
    )
    assert spring_code.validate_controller_test(text, "java") == []
    assert spring_code.validate_controller_test(TEST, "java", "cancelReturns204") == []
    generic = TEST.replace(
        'delete("/standing-orders/{orderId}", orderId)',
        'request(HttpMethod.DELETE, "/standing-orders/{orderId}", orderId)',
    )
    assert spring_code.validate_controller_test(generic, "java") == []


def test_controller_test_rejects_broken_files():
    unchecked = TEST.replace("\n                .andExpect(status().isNoContent())", "")
    assert _lines(spring_code.validate_controller_test(unchecked, "java")) == [
        "line 11: test 'cancelReturns204' asserts nothing on the response (no andExpect(...))"
    ]
    no_builder = TEST.replace('delete("/standing-orders/{orderId}", orderId)', "builder")
    assert _lines(spring_code.validate_controller_test(no_builder, "java")) == [
        "line 11: test 'cancelReturns204' calls perform(...) without a request builder (get, "
        "post, put, patch, delete or request(HttpMethod.X, ...))"
    ]
    no_request = TEST.replace("mvc.perform(", "mvc.run(")
    assert _lines(spring_code.validate_controller_test(no_request, "java")) == [
        "line 11: test 'cancelReturns204' performs no request (mockMvc.perform(...))"
    ]
    no_mvc = TEST.replace("@WebMvcTest(StandingOrderController.class)\n", "").replace(
        "MockMvc mvc", "Object mvc"
    )
    assert _lines(spring_code.validate_controller_test(no_mvc, "java")) == [
        "line 1: class 'StandingOrderControllerTest' has no MockMvc field and no @WebMvcTest "
        "or @AutoConfigureMockMvc"
    ]
    no_test = TEST.replace("    @Test\n", "")
    assert _lines(spring_code.validate_controller_test(no_test, "java")) == [
        "line 2: class 'StandingOrderControllerTest' has no @Test method"
    ]
    assert _lines(spring_code.validate_controller_test(TEST, "java", "getReturns404")) == [
        "code: no test method named 'getReturns404' (found: cancelReturns204)"
    ]
    assert _lines(spring_code.validate_controller_test("", "java")) == ["output: empty"]
    assert spring_code.validate_controller_test(TEST + "}", "java")[0].message.startswith("syntax")


def test_routes_and_requests_match_by_method_and_segments():
    root, _ = spring_code.parse_class_file(PAYEES)
    controller = root.named_children[0]
    handler = next(
        m
        for m in controller.child_by_field_name("body").named_children
        if m.type == "method_declaration"
    )
    routes = spring_code.handler_routes(handler, spring_code.class_paths(controller))
    assert routes == [spring_code.Route("GET", "/accounts/{accountId}/payees/{payeeId}")]
    test_root, _ = spring_code.parse_class_file(
        TEST.replace(
            '"/standing-orders/{orderId}", orderId', '"/accounts/" + id + "/payees/p1?x=1"'
        )
    )
    (request,) = spring_code.performed_requests(test_root)
    assert request == spring_code.Route("DELETE", "/accounts/{}/payees/p1")
    assert spring_code.routes_match(spring_code.Route("GET", request.path), routes[0])
    assert not spring_code.routes_match(request, routes[0])  # DELETE is not mapped
    assert not spring_code.routes_match(spring_code.Route("GET", "/accounts/a/payees"), routes[0])
