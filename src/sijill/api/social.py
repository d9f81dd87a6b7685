"""The social register's endpoints in the services' app, behind the agencies' policies.

The social router decides nothing about who may call it: here every call is admitted as on
`/v1` (a credential, the rate, the policy), reads needing `social.read` and changes
`social.write`, and the agency becomes the request's actor.
"""

from fastapi import APIRouter, Depends, Request

from sijill.api.deps import AgencyAuth, require
from sijill.social.views import STATUS_OF_ERROR
from sijill.social.views import router as social_router

READ = "social.read"
WRITE = "social.write"
ERROR_STATUSES = STATUS_OF_ERROR
_READ_METHODS = ("GET", "HEAD")


async def social_agency(request: Request, auth: AgencyAuth) -> None:
    """Admit an agency for a social register call and name it the call's actor."""
    call = await require(READ if request.method in _READ_METHODS else WRITE)(request, auth)
    request.state.actor = call.grant.agency


router = APIRouter(dependencies=[Depends(social_agency)])
router.include_router(social_router)
