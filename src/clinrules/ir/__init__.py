"""The checked program: what the checker hands the compiler.

In: nothing (the checker builds it). Out: `ir.Program`, with every name
resolved, every expression typed, every number in one unit and defined
phrases expanded. Next: the engine compiles it.

Unlike the AST, every name here is resolved (a field path, a parameter, an
exercise id), every expression has a type, and every number is in the unit
of what it is compared with. `nodes` holds the expressions, the conditions
and the one walker; `program` the declarations. Every name is re-exported
here and used as `ir.X`.
"""

from clinrules.ir.nodes import EXPRESSIONS as EXPRESSIONS
from clinrules.ir.nodes import LADDER_SCOPES as LADDER_SCOPES
from clinrules.ir.nodes import SCORE_TYPE as SCORE_TYPE
from clinrules.ir.nodes import TARGET_RELATIVE as TARGET_RELATIVE
from clinrules.ir.nodes import And as And
from clinrules.ir.nodes import Arith as Arith
from clinrules.ir.nodes import ArithKind as ArithKind
from clinrules.ir.nodes import Assessed as Assessed
from clinrules.ir.nodes import Assessment as Assessment
from clinrules.ir.nodes import AssessValue as AssessValue
from clinrules.ir.nodes import Between as Between
from clinrules.ir.nodes import Branch as Branch
from clinrules.ir.nodes import Compare as Compare
from clinrules.ir.nodes import CompareKind as CompareKind
from clinrules.ir.nodes import Condition as Condition
from clinrules.ir.nodes import Const as Const
from clinrules.ir.nodes import Contains as Contains
from clinrules.ir.nodes import Empty as Empty
from clinrules.ir.nodes import EnumConst as EnumConst
from clinrules.ir.nodes import Expr as Expr
from clinrules.ir.nodes import FieldRef as FieldRef
from clinrules.ir.nodes import History as History
from clinrules.ir.nodes import Known as Known
from clinrules.ir.nodes import Member as Member
from clinrules.ir.nodes import Not as Not
from clinrules.ir.nodes import Now as Now
from clinrules.ir.nodes import Or as Or
from clinrules.ir.nodes import ParamRef as ParamRef
from clinrules.ir.nodes import Phrase as Phrase
from clinrules.ir.nodes import Scale as Scale
from clinrules.ir.nodes import Score as Score
from clinrules.ir.nodes import ScoreItem as ScoreItem
from clinrules.ir.nodes import ScoreValue as ScoreValue
from clinrules.ir.nodes import Truth as Truth
from clinrules.ir.nodes import nodes as nodes
from clinrules.ir.program import Amount as Amount
from clinrules.ir.program import Assumption as Assumption
from clinrules.ir.program import Dose as Dose
from clinrules.ir.program import Exercise as Exercise
from clinrules.ir.program import Ladder as Ladder
from clinrules.ir.program import Messages as Messages
from clinrules.ir.program import Parameter as Parameter
from clinrules.ir.program import Program as Program
from clinrules.ir.program import RedFlag as RedFlag
from clinrules.ir.program import RequireKind as RequireKind
from clinrules.ir.program import Requirement as Requirement
from clinrules.ir.program import Review as Review
from clinrules.ir.program import Rule as Rule
from clinrules.ir.program import Source as Source
from clinrules.ir.program import Targets as Targets
from clinrules.ir.program import UnknownFrom as UnknownFrom
from clinrules.ir.program import Where as Where
from clinrules.ir.program import next_rung as next_rung
from clinrules.ir.program import scope_exercises as scope_exercises
